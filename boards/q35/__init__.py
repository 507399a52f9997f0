"""The q35 board: QEMU's ``-M q35`` (Q35 MCH + ICH9).

:data:`Q35` is the whole description, data included (the PIRQ routing, the host bridge ID,
the machine types): a variant is ``dataclasses.replace(Q35, name=..., pirq_irqs=...)``.
"""

from pathlib import Path

from qbootcore import hookimpl
from qbootcore.model import Step
from qboot_boards.common import COMMON, INTEL, IntelBoard

HERE = Path(__file__).parent

Q35 = IntelBoard(
    name="q35",
    description="QEMU -M q35: MMCONFIG, PAM shadow RAM (read-only when the tables are "
                "done), ICH9 ACPI PM base, PIRQ routing, ELCR; PCI walk off (ACPI), "
                "--plugin pci for guests without ACPI",
    machines=("q35",),
    # the MCH at 00:00.0: device 0x29C0 (82G33/G31/P35/P31 MCH) << 16 | Intel (3 Series
    # chipset datasheet 5.1.1-2 "VID", "DID"; QEMU include/hw/pci/pci_ids.h
    # PCI_DEVICE_ID_INTEL_Q35_MCH)
    host_bridge_id=0x29C08086,
    in_auto=True,
    sources=(HERE / "q35.asm",),
    constants=(HERE / "q35.inc",),
    steps=(Step("chipset", "q35_init"), Step("reserve", "q35_reserve"),
           Step("late", "q35_fseg_readonly", order=90)),
    requires=("smbios", "mptable"),
    shared=(COMMON, INTEL),
)


@hookimpl
def qboot_boards():
    return [Q35]
