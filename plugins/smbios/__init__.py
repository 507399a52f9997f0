"""The ``smbios`` feature: SMBIOS 2.1/3.0 tables from QEMU (DMI for the guest)."""

from pathlib import Path

from qbootcore import hookimpl
from qbootcore.model import Feature, Fragment, Step

HERE = Path(__file__).parent


def fragments(ctx):
    return [Fragment.from_file(HERE / "smbios.asm", "text32")]


@hookimpl
def qboot_features():
    return [Feature(
        name="smbios",
        description="SMBIOS entry point (F-segment) and tables from etc/smbios/* (DMI)",
        fragments=fragments,
        constants=(HERE / "smbios.inc",),
        steps=(Step("tables", "smbios_load", order=60),),
    )]
