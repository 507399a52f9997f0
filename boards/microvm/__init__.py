"""The microvm board: QEMU's ``-M microvm`` (no PCI by default, no PAM, fw_cfg and ACPI).

The ROM is writable RAM on microvm and the F-segment has no RAM of its own, so the table
zones move (microvm.inc): the fseg zone into a zeroed pool inside the ROM image, reached
through its F-segment alias, and the high zone below 1 MiB, because QEMU puts the initrd at
the very top of RAM there.  ``code_fragments``/``STEPS``/``CONSTANTS``/``REQUIRES`` are what
the ``auto`` board reuses.
"""

from pathlib import Path

from qbootcore import hookimpl
from qbootcore.model import Board, Fragment, Step
from qboot_boards.common import SHARED_CONSTANTS, SHARED_STEPS, shared_fragments

HERE = Path(__file__).parent
NAME = "microvm"
#: the constant holding what the ``auto`` board reads at 00:00.0 on this machine
DETECT = "MICROVM_NO_PCI_ID"
CONSTANTS = (HERE / "microvm.inc",)
STEPS = (Step("chipset", "microvm_init"),)
REQUIRES = ("mptable",)


def code_fragments(ctx):
    return [Fragment.from_file(HERE / "microvm.asm", "text32"),
            Fragment.from_file(HERE / "microvm_pool.asm", "rodata", align=16)]


def fragments(ctx):
    return code_fragments(ctx) + shared_fragments()


@hookimpl
def qboot_boards():
    return [Board(
        name=NAME,
        description="QEMU -M microvm: no chipset set-up; F-segment tables in a pool of the "
                    "(writable) ROM image, ACPI tables below 1 MiB; no PCI to walk",
        machine="microvm",
        fragments=fragments,
        constants=CONSTANTS + SHARED_CONSTANTS,
        steps=STEPS + SHARED_STEPS,
        requires=REQUIRES,
    )]
