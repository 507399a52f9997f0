"""The pc board: QEMU's ``-M pc`` (i440fx host bridge, PIIX3 ISA bridge, PIIX4 PM).

``code_fragments``/``STEPS``/``CONSTANTS``/``REQUIRES`` are what the ``auto`` board reuses;
the shared board code (boards/common) is added only when pc is the selected board.
"""

from pathlib import Path

from qbootcore import hookimpl
from qbootcore.model import Board, Fragment, Step
from qboot_boards.common import (INTEL_INC, PCI_INC, SHARED_CONSTANTS, SHARED_STEPS,
                                  shared_fragments)

HERE = Path(__file__).parent
NAME = "pc"
#: the constant holding what the ``auto`` board reads at 00:00.0 on this machine
DETECT = "PC_HOST_BRIDGE_ID"
CONSTANTS = (PCI_INC, INTEL_INC, HERE / "pc.inc")
STEPS = (Step("chipset", "pc_init"), Step("late", "pc_fseg_readonly", order=90))
REQUIRES = ("smbios", "mptable")


def code_fragments(ctx):
    return [Fragment.from_file(HERE / "pc.asm", "text32")]


def fragments(ctx):
    return code_fragments(ctx) + shared_fragments()


@hookimpl
def qboot_boards():
    return [Board(
        name=NAME,
        description="QEMU -M pc (i440fx + PIIX3/PIIX4): PAM shadow RAM (read-only when the "
                    "tables are done), PIRQ routing, PIIX4 ACPI PM and SMBus base, ELCR; PCI "
                    "walk off (ACPI), --plugin pci for guests without ACPI",
        machine="pc",
        fragments=fragments,
        constants=CONSTANTS + SHARED_CONSTANTS,
        steps=STEPS + SHARED_STEPS,
        requires=REQUIRES,
    )]
