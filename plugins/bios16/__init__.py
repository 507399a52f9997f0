"""The ``bios16`` feature: 16-bit BIOS services for real-mode code (docs/bios16.md).

An interrupt vector table in which every vector has a handler, INT 15h E820h/E801h/88h
(the firmware's own e820 map), INT 12h, INT 10h teletype to COM1, INT 13h/16h/1Ah that
answer "nothing here", the BIOS data areas, the 8259s at the BIOS vector bases, a BIOS32
service directory with the PCI BIOS, and ``bios16_enter_real_mode``, with which a loader
leaves the firmware's protected mode for a real-mode entry point.  Loaders that enter real mode
list it in their ``requires``.
"""

from pathlib import Path

from qbootcore import hookimpl
from qbootcore.model import Feature, Fragment, Step

HERE = Path(__file__).parent


def fragments(ctx):
    return [*_fragments(), *_last_bus(ctx)]


def _last_bus(ctx):
    """With the PCI walk in the ROM, the PCI BIOS reports the last bus it numbered."""
    if "pci" not in ctx.plugins:
        return []
    return [Fragment.from_file(HERE / "last_bus.asm", "text32", name="bios16_last_bus")]


def steps(ctx):
    return (Step("late", "bios16_install", order=50),
            *((Step("late", "bios16_last_bus", order=51),) if "pci" in ctx.plugins else ()),
            Step("handoff", "bios16_e820_sync", order=90))


def _fragments():
    return [
        Fragment.from_file(HERE / "install.asm", "text32", name="bios16_install"),
        Fragment.from_file(HERE / "services.asm", "fseg", bits=16, name="bios16_services"),
        Fragment.from_file(HERE / "call32.asm", "fseg", bits=16, name="bios16_call32"),
        Fragment.from_file(HERE / "pm32.asm", "fseg", bits=16, name="bios16_pm32"),
        Fragment.from_file(HERE / "pm32_cs.asm", "text32", name="bios16_pm32_cs"),
        Fragment.from_file(HERE / "call32_pm.asm", "text32", name="bios16_call32_pm"),
        Fragment.from_file(HERE / "call16.asm", "text32", name="bios16_call16"),
        Fragment.from_file(HERE / "call16_rm.asm", "fseg", bits=16, name="bios16_call16_rm"),
        Fragment.from_file(HERE / "int15_ext.asm", "fseg", bits=16, name="bios16_int15_ext"),
        Fragment.from_file(HERE / "sysconf.asm", "fseg", name="bios16_sysconf"),
        Fragment.from_file(HERE / "blockmove.asm", "text32", name="bios16_block_move"),
        Fragment.from_file(HERE / "time.asm", "fseg", bits=16, name="bios16_time"),
        Fragment.from_file(HERE / "timer.asm", "text32", name="bios16_timer"),
        Fragment.from_file(HERE / "kbd.asm", "fseg", bits=16, name="bios16_kbd"),
        Fragment.from_file(HERE / "kbdmap.asm", "fseg", name="bios16_kbdmap"),
        Fragment.from_file(HERE / "video.asm", "fseg", bits=16, name="bios16_video"),
        Fragment.from_file(HERE / "fatal.asm", "fseg", bits=16, name="bios16_fatal"),
        Fragment.from_file(HERE / "fatal32.asm", "text32", name="bios16_fatal32"),
        Fragment.from_file(HERE / "directory.asm", "fseg", align=16, name="bios16_bios32_directory"),
        Fragment.from_file(HERE / "bios32.asm", "fseg", name="bios16_pcibios"),
    ]


@hookimpl
def qboot_features():
    return [Feature(
        name="bios16",
        description="16-bit BIOS services: IVT, INT 15h E820/E801/88h, INT 10h teletype to "
                    "COM1, INT 12h/13h/16h/1Ah, BDA/EBDA, BIOS32 + PCI BIOS; "
                    "bios16_enter_real_mode for real-mode loaders",
        fragments=fragments,
        constants=(HERE / "bios16.inc",),
        requires=("pm16_real",),
        steps=steps,
    )]
