"""The core firmware: which of firmware/*.asm go into which region, and the core's steps."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from .model import Fragment, Step

FIRMWARE = Path(str(files("qboot_firmware")))

#: constants files visible to every fragment, in load order
CONSTANTS = tuple(FIRMWARE / f for f in ("x86.inc", "fw_cfg.inc", "e820.inc",
                                         "acpi_loader.inc", "uart.inc", "machine.inc"))

#: (file, region, bits)
SOURCES = (
    ("reset.asm", "reset", 16),
    ("entry16.asm", "fseg", 16),
    ("gdt.asm", "fseg", 16),
    ("entry32.asm", "text32", 32),
    ("fw_cfg.asm", "text32", 32),
    ("e820.asm", "text32", 32),
    ("alloc.asm", "text32", 32),
    ("acpi_loader.asm", "text32", 32),
    ("boot.asm", "text32", 32),
    ("console.asm", "text32", 32),
    ("machine.asm", "text32", 32),
)

STEPS = (
    Step("fw_cfg", "fw_cfg_init", order=0),
    Step("memory", "e820_init", order=0),
    Step("memory", "alloc_init", order=10),
    Step("reserve", "core_reserve", order=0),
    Step("tables", "acpi_load", order=50),
    Step("handoff", "alloc_reserve", order=10),
    Step("boot", "kernel_check", order=0),
)


def core_fragments() -> list[Fragment]:
    return [Fragment.from_file(FIRMWARE / name, region, bits=bits)
            for name, region, bits in SOURCES]


def stack_fragment(size: int) -> Fragment:
    """The firmware stack: the last bss fragment; ``stack_top`` is its end."""
    return Fragment(name="stack", region="bss", size=size, align=16,
                    symbols={"stack_top": size}, origin="qbootcore/firmware.py")
