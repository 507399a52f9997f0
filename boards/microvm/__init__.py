"""The microvm board: QEMU's ``-M microvm`` (no PCI by default, no PAM, fw_cfg and ACPI).

The ROM is writable RAM on microvm and the F-segment has no RAM of its own, so the table
zones move (microvm.inc): the fseg zone into a zeroed pool inside the ROM image, reached
through its F-segment alias, and the high zone below 1 MiB, because QEMU puts the initrd at
the very top of RAM there.
"""

from pathlib import Path

from qbootcore import hookimpl
from qbootcore.model import Board, Fragment, Step
from qboot_boards.common import COMMON

HERE = Path(__file__).parent


def fragments(ctx):
    return [Fragment.from_file(HERE / "microvm.asm", "text32"),
            Fragment.from_file(HERE / "microvm_pool.asm", "rodata", align=16)]


MICROVM = Board(
    name="microvm",
    description="QEMU -M microvm: no chipset set-up; F-segment tables in a pool of the "
                "(writable) ROM image, ACPI tables below 1 MiB; no PCI to walk",
    machines=("microvm",),
    # no device claims 0xCF8/0xCFC on microvm, and reads of unclaimed ports return all ones
    # (QEMU softmmu/ioport.c, unassigned_io_read)
    host_bridge_id=0xFFFFFFFF,
    in_auto=True,
    fragments=fragments,
    constants=(HERE / "microvm.inc",),
    steps=(Step("chipset", "microvm_init"),),
    requires=("mptable",),
    shared=(COMMON,),
)


@hookimpl
def qboot_boards():
    return [MICROVM]
