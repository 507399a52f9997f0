"""The pc board: QEMU's ``-M pc`` (i440fx host bridge, PIIX3 ISA bridge, PIIX4 PM).

:data:`PC` is the whole description, data included (the PIRQ routing, the host bridge ID,
the machine types): a variant is ``dataclasses.replace(PC, name=..., pirq_irqs=...)``.
"""

from pathlib import Path

from qbootcore import hookimpl
from qbootcore.model import Step
from qboot_boards.common import COMMON, INTEL, IntelBoard

HERE = Path(__file__).parent

PC = IntelBoard(
    name="pc",
    description="QEMU -M pc (i440fx + PIIX3/PIIX4): PAM shadow RAM (read-only when the "
                "tables are done), PIRQ routing, PIIX4 ACPI PM and SMBus base, ELCR; PCI "
                "walk off (ACPI), --plugin pci for guests without ACPI",
    machines=("pc",),
    # the i440fx at 00:00.0: device 0x1237 (82441FX PMC) << 16 | Intel (440FX datasheet,
    # "VID/DID"; QEMU include/hw/pci/pci_ids.h PCI_DEVICE_ID_INTEL_82441)
    host_bridge_id=0x12378086,
    in_auto=True,
    sources=(HERE / "pc.asm",),
    constants=(HERE / "pc.inc",),
    steps=(Step("chipset", "pc_init"), Step("late", "pc_fseg_readonly", order=90)),
    requires=("smbios", "mptable"),
    shared=(COMMON, INTEL),
)


@hookimpl
def qboot_boards():
    return [PC]
