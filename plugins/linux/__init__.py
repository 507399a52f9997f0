"""The ``linux`` loader: bzImage through the 32-bit boot protocol (boot.rst)."""

from pathlib import Path

from qbootcore import hookimpl
from qbootcore.model import Fragment, Loader

HERE = Path(__file__).parent


def fragments(ctx):
    return [Fragment.from_file(HERE / "linux.asm", "text32")]


@hookimpl
def qboot_loaders():
    return [Loader(
        name="linux",
        description="Linux bzImage via the 32-bit boot protocol (boot_params, e820, RSDP)",
        fragments=fragments,
        constants=(HERE / "linux.inc",),
        probe="linux_probe",
    )]
