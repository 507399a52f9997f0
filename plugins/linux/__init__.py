"""The ``linux`` loader: bzImage through the 32-bit or 64-bit boot protocol (boot.rst).

Option ``entry`` (recipe ``[options.linux] entry = "64"``, or ``--option linux.entry=64``):
``32`` enters at code32_start in protected mode; ``64`` enables long mode with identity page
tables and enters at startup_64, falling back to the 32-bit entry for kernels without
XLF_KERNEL_64; ``real`` runs the kernel's own real-mode setup code, which needs the 16-bit
services of the ``bios16`` plugin.  docs/performance.md compares them.
"""

from dataclasses import replace
from pathlib import Path

from qbootcore import hookimpl
from qbootcore.errors import QbootError
from qbootcore.model import Fragment, Loader, Option

HERE = Path(__file__).parent
ENTRIES = ("32", "64", "real")
DEFAULT_ENTRY = "32"


def fragments(ctx):
    entry = ctx.option("linux", "entry")
    enter32 = Fragment.from_file(HERE / "linux_enter32.asm", "text32")
    if entry == "real":
        if "bios16" not in ctx.plugins:
            raise QbootError("linux: entry=real runs the kernel's real-mode setup code, which "
                             "needs BIOS services: add --plugin bios16")
        return [Fragment.from_file(HERE / "linux.asm", "text32"),
                Fragment.from_file(HERE / "linux_enter_real.asm", "text32")]
    if entry == "32":
        # linux.asm jumps to linux_enter: here that is the 32-bit entry itself
        enter32 = replace(enter32, source=".global linux_enter\nlinux_enter:\n" + enter32.source)
        return [Fragment.from_file(HERE / "linux.asm", "text32"), enter32]
    return [Fragment.from_file(HERE / "linux.asm", "text32"), enter32,
            Fragment.from_file(HERE / "linux_enter64.asm", "text32"),
            Fragment.from_file(HERE / "linux_gdt64.asm", "rodata", align=8)]


@hookimpl
def qboot_loaders():
    return [Loader(
        name="linux",
        description="Linux bzImage via the 32-bit (default) or 64-bit boot protocol",
        fragments=fragments,
        constants=(HERE / "linux.inc",),
        probe="linux_probe",
        options={"entry": Option(str, default=DEFAULT_ENTRY, choices=ENTRIES,
                                 help="kernel entry: 32-bit, 64-bit (long mode) or the "
                                      "kernel's real-mode setup (needs bios16)")},
    )]
