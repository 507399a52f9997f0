"""The floor ROM of ``qboot-fw bench`` (docs/performance.md): a firmware that does only what
QEMU makes every firmware booting Linux with its ACPI tables do -- read the fw_cfg
directory, select etc/table-loader (QEMU builds its ACPI tables then), copy the kernel out
of fw_cfg -- and jumps to the kernel's 32-bit entry.  Its time over the null firmware is
QEMU's own work; "over floor" is what a firmware adds to it.  It boots the stub kernel
only (no boot_params), and is linked from the core's own sources by the usual linker."""

from __future__ import annotations

from . import asm, firmware
from .build import layout_constants
from .linker import link
from .model import Fragment
from .plugins import registry

#: the core sources the floor needs: reset vector, protected mode, fw_cfg, panic
SOURCES = ("reset.asm", "entry16.asm", "gdt.asm", "entry32.asm", "fw_cfg.asm", "console.asm",
           "floor.asm")


def floor_rom(assembler: str = "keystone") -> bytes:
    """The floor ROM image (64 KiB)."""
    constants = asm.load_constants(firmware.CONSTANTS, layout_constants())
    bits = {name: (region, b) for name, region, b in firmware.SOURCES}
    frags = [Fragment.from_file(firmware.FIRMWARE / name, *bits.get(name, ("text32", 32))[:1],
                                bits=bits.get(name, ("text32", 32))[1])
             for name in SOURCES]
    # the floor is no board's ROM: its panics have no machine to check (firmware/machine.asm)
    frags.append(Fragment(name="floor_machine_check", region="text32", origin="<floor>",
                          source=".global panic_machine_check\npanic_machine_check:\n    ret\n"))
    frags.append(firmware.stack_fragment(constants["STACK_SIZE"]))
    backend = registry().assemblers[assembler].factory()
    return link(frags, backend, constants).rom
