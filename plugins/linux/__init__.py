"""The ``linux`` loader: bzImage through the 32-bit or 64-bit boot protocol (boot.rst).

Option ``entry`` (recipe ``[options.linux] entry = "64"``, or ``--option linux.entry=64``):
``32`` enters at code32_start in protected mode; ``64`` enables long mode with identity page
tables and enters at startup_64, falling back to the 32-bit entry for kernels without
XLF_KERNEL_64; ``real`` runs the kernel's own real-mode setup code, which needs the 16-bit
services of the ``bios16`` plugin.  docs/performance.md compares them.

Whatever the option, a kernel without a 32-bit entry (code32_start 0, boot protocol before
2.02, not LOADED_HIGH) runs its real-mode setup code when the ROM has ``bios16`` and is
refused with a panic naming the fix otherwise (docs/loaders.md).  Option ``checks`` (default
``on``) adds the header checks of linux_checks.asm (docs/reliability.md).
"""

from pathlib import Path

from qbootcore import hookimpl
from qbootcore.errors import QbootError
from qbootcore.model import Fragment, Loader

HERE = Path(__file__).parent
ENTRIES = ("32", "64", "real")
DEFAULT_ENTRY = "32"


def _labelled(fragment: Fragment, label: str) -> Fragment:
    """``fragment`` with the global ``label`` at its start (an alias, no code)."""
    return Fragment(**{**fragment.__dict__,
                       "source": f".global {label}\n{label}:\n" + fragment.source})


def fragments(ctx):
    opts = ctx.options_for("linux")
    entry = str(opts.get("entry", DEFAULT_ENTRY))
    if entry not in ENTRIES:
        raise QbootError(f"linux: entry must be one of {', '.join(ENTRIES)}, not {entry!r}")
    checks = str(opts.get("checks", "on"))
    if checks not in ("on", "off"):
        raise QbootError(f"linux: checks must be on or off, not {checks!r}")
    has_bios16 = "bios16" in ctx.plugins
    if entry == "real" and not has_bios16:
        raise QbootError("linux: entry=real runs the kernel's real-mode setup code, which "
                         "needs BIOS services: add --plugin bios16")
    out = [Fragment.from_file(HERE / "linux.asm", "text32")]
    out.append(Fragment.from_file(HERE / "linux_checks.asm", "text32") if checks == "on" else
               Fragment(name="linux_checks", region="text32", origin="<checks=off>",
                        source=".global linux_check_header\nlinux_check_header:\n    ret\n"))
    # kernels without a usable 32-bit entry: their real-mode setup code on bios16, or a panic
    if has_bios16:
        enter_real = Fragment.from_file(HERE / "linux_enter_real.asm", "text32")
        out += [Fragment.from_file(HERE / "linux_real.asm", "text32"),
                _labelled(enter_real, "linux_enter") if entry == "real" else enter_real]
    else:
        out.append(Fragment.from_file(HERE / "linux_no_real.asm", "text32"))
    enter32 = Fragment.from_file(HERE / "linux_enter32.asm", "text32")
    if entry == "32":
        # linux.asm jumps to linux_enter: here that is the 32-bit entry itself
        out.append(_labelled(enter32, "linux_enter"))
    elif entry == "64":
        out += [enter32, Fragment.from_file(HERE / "linux_enter64.asm", "text32"),
                Fragment.from_file(HERE / "linux_gdt64.asm", "rodata", align=8)]
    return out


@hookimpl
def qboot_loaders():
    return [Loader(
        name="linux",
        description="Linux bzImage via the 32-bit (default) or 64-bit boot protocol",
        fragments=fragments,
        constants=(HERE / "linux.inc",),
        probe="linux_probe",
        options={"entry": f"kernel entry: {' or '.join(ENTRIES)} (default {DEFAULT_ENTRY}); "
                          f"kernels without a 32-bit entry run their real-mode setup code "
                          f"when the ROM has bios16",
                 "checks": "on (default) or off: refuse kernels whose header shows they "
                           "cannot start (truncated file, too little RAM, no long mode)"},
    )]
