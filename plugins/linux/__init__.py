"""The ``linux`` loader: bzImage through the 32-bit or 64-bit boot protocol (boot.rst).

Option ``entry`` (recipe ``[options.linux] entry = "64"``, or ``--option linux.entry=64``):
``32`` enters at code32_start in protected mode; ``64`` enables long mode with identity page
tables and enters at startup_64, falling back to the 32-bit entry for kernels without
XLF_KERNEL_64; ``real`` runs the kernel's own real-mode setup code, which needs the 16-bit
services of the ``bios16`` plugin.  docs/performance.md compares them.
"""

from pathlib import Path

from qbootcore import hookimpl
from qbootcore.errors import QbootError
from qbootcore.model import Fragment, Loader

HERE = Path(__file__).parent
ENTRIES = ("32", "64", "real")
DEFAULT_ENTRY = "32"


def fragments(ctx):
    entry = str(ctx.options_for("linux").get("entry", DEFAULT_ENTRY))
    if entry not in ENTRIES:
        raise QbootError(f"linux: entry must be one of {', '.join(ENTRIES)}, not {entry!r}")
    enter32 = Fragment.from_file(HERE / "linux_enter32.asm", "text32")
    if entry == "real":
        if "bios16" not in ctx.plugins:
            raise QbootError("linux: entry=real runs the kernel's real-mode setup code, which "
                             "needs BIOS services: add --plugin bios16")
        return [Fragment.from_file(HERE / "linux.asm", "text32"),
                Fragment.from_file(HERE / "linux_enter_real.asm", "text32")]
    if entry == "32":
        # linux.asm jumps to linux_enter: here that is the 32-bit entry itself
        enter32 = Fragment(**{**enter32.__dict__,
                              "source": ".global linux_enter\nlinux_enter:\n" + enter32.source})
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
        options={"entry": f"kernel entry: {' or '.join(ENTRIES)} (default {DEFAULT_ENTRY})"},
    )]
