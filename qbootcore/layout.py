"""The ROM layout every build shares.

QEMU maps a 64 KiB ``-bios`` image twice: at the top of the 4 GiB space (0xFFFF0000, where
the CPU fetches its first instruction, 0xFFFFFFF0) and, through the chipset's "isa-bios"
alias, at 0xF0000-0xFFFFF below 1 MiB (QEMU hw/i386/x86.c, x86_bios_rom_init).  A region is
a fixed window of ROM offsets plus the linear address its bytes run at:

* 32-bit code and read-only data run from the high alias, which stays ROM whatever the
  chipset's PAM registers later do to the F-segment.
* 16-bit code and tables that real-mode code or a guest must find below 1 MiB use the
  F-segment alias (for 16-bit code, CS=0xF000 and IP = the ROM offset).
* ``bss`` is firmware RAM (zeroed by the core before any step runs); its fragments have no
  bytes in the ROM.  It ends with the firmware stack.  It sits at 0x30000-0x4FFFF, which no
  boot protocol QEMU implements loads anything into: the Linux setup code goes to 0x10000
  and its command line to 0x20000 (or 0x90000/0x9A000 for old kernels), multiboot's info
  block and memory map to 0x9000-0x95FF, the IVT/BDA and EBDA are below 0x500 and at
  0x9F000 (hw/i386/x86.c x86_load_linux, hw/i386/multiboot.c).
"""

from __future__ import annotations

from dataclasses import dataclass

ROM_SIZE = 0x10000  # QEMU wants the -bios image size to be a multiple of 64 KiB
HIGH_ALIAS = 0x1_0000_0000 - ROM_SIZE  # 0xFFFF0000
FSEG_ALIAS = 0x100000 - ROM_SIZE  # 0xF0000
RESET_OFFSET = 0xFFF0  # 0xFFFFFFF0 - HIGH_ALIAS: the x86 reset vector


@dataclass(frozen=True)
class Region:
    name: str
    start: int  # ROM offset (RAM address for bss)
    end: int
    alias: int  # run address of ROM offset 0 (0 for bss: start is already the address)
    description: str
    in_rom: bool = True

    def address(self, offset: int) -> int:
        """Run-time linear address of ROM offset ``offset`` (or of RAM address, for bss)."""
        return self.alias + offset

    @property
    def size(self) -> int:
        return self.end - self.start


REGIONS: dict[str, Region] = {r.name: r for r in (
    Region("text32", 0x0000, 0xA000, HIGH_ALIAS, "32-bit code, run from the high ROM alias"),
    Region("rodata", 0xA000, 0xE000, HIGH_ALIAS, "read-only data for 32-bit code"),
    Region("fseg", 0xE000, RESET_OFFSET, FSEG_ALIAS,
           "16-bit code and data reachable below 1 MiB (F-segment alias)"),
    Region("reset", RESET_OFFSET, ROM_SIZE, FSEG_ALIAS,
           "the reset vector (0xFFFFFFF0), 16 bytes"),
    Region("bss", 0x30000, 0x50000, 0, "firmware RAM, zeroed at start; ends with the stack",
           in_rom=False),
)}
