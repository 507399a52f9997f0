"""The q35 board: QEMU's ``-M q35`` (Q35 MCH + ICH9)."""

from pathlib import Path

from qbootcore import hookimpl
from qbootcore.model import Board, Fragment, Step

HERE = Path(__file__).parent


def fragments(ctx):
    return [Fragment.from_file(HERE / "q35.asm", "text32")]


@hookimpl
def qboot_boards():
    return [Board(
        name="q35",
        description="QEMU -M q35: MMCONFIG, PAM shadow RAM, ICH9 ACPI PM base, PIRQ routing",
        machine="q35",
        fragments=fragments,
        constants=(HERE / "q35.inc",),
        steps=(Step("chipset", "q35_init"), Step("reserve", "q35_reserve")),
        requires=("smbios",),
    )]
