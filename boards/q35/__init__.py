"""The q35 board: QEMU's ``-M q35`` (Q35 MCH + ICH9).

``code_fragments``/``STEPS``/``CONSTANTS``/``REQUIRES`` are what the ``auto`` board reuses;
the shared board code (boards/common) is added only when q35 is the selected board.
"""

from pathlib import Path

from qbootcore import hookimpl
from qbootcore.model import Board, Fragment, Step
from qboot_boards.common import (INTEL_INC, PCI_INC, SHARED_CONSTANTS, SHARED_STEPS,
                                  shared_fragments)

HERE = Path(__file__).parent
NAME = "q35"
#: the constant holding what the ``auto`` board reads at 00:00.0 on this machine
DETECT = "Q35_HOST_BRIDGE_ID"
CONSTANTS = (PCI_INC, INTEL_INC, HERE / "q35.inc")
STEPS = (Step("chipset", "q35_init"), Step("reserve", "q35_reserve"),
         Step("late", "q35_fseg_readonly", order=90))
REQUIRES = ("smbios", "mptable")


def code_fragments(ctx):
    return [Fragment.from_file(HERE / "q35.asm", "text32")]


def fragments(ctx):
    return code_fragments(ctx) + shared_fragments()


@hookimpl
def qboot_boards():
    return [Board(
        name=NAME,
        description="QEMU -M q35: MMCONFIG, PAM shadow RAM (read-only when the tables are "
                    "done), ICH9 ACPI PM base, PIRQ routing, ELCR; PCI walk off (ACPI), "
                    "--plugin pci for guests without ACPI",
        machine="q35",
        fragments=fragments,
        constants=CONSTANTS + SHARED_CONSTANTS,
        steps=STEPS + SHARED_STEPS,
        requires=REQUIRES,
    )]
