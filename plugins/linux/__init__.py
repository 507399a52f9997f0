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

from dataclasses import replace
from pathlib import Path

from qbootcore import hookimpl
from qbootcore.errors import QbootError
from qbootcore.model import Fragment, KernelFormat, Loader, Option

HERE = Path(__file__).parent
ENTRIES = ("32", "64", "real")
DEFAULT_ENTRY = "32"


def _labelled(fragment: Fragment, label: str) -> Fragment:
    """``fragment`` with the global ``label`` at its start (an alias, no code)."""
    return replace(fragment, source=f".global {label}\n{label}:\n" + fragment.source)


def fragments(ctx):
    entry = ctx.option("linux", "entry")
    checks = ctx.option("linux", "checks")
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
        # QEMU loads a bzImage with its linuxboot option ROM (hw/i386/x86.c, x86_load_linux)
        formats=(KernelFormat("a Linux bzImage", ("genroms/linuxboot_dma.bin",
                                                  "genroms/linuxboot.bin")),),
        options={"entry": Option(str, default=DEFAULT_ENTRY, choices=ENTRIES,
                                 help="kernel entry: 32-bit, 64-bit (long mode) or the "
                                      "kernel's real-mode setup (needs bios16); kernels "
                                      "without a 32-bit entry take the real-mode one anyway"),
                 "checks": Option(str, default="on", choices=("on", "off"),
                                  help="refuse kernels whose header shows they cannot start "
                                       "(truncated file, too little RAM, no long mode)")},
    )]
