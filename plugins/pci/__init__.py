"""The ``pci`` feature: the PCI walk, for guests that do not configure PCI themselves.

Every bus reachable from bus 0 is enumerated; bridges get secondary/subordinate bus
numbers depth-first, so that devices behind nested bridges are reachable; every function
with an interrupt pin gets INTERRUPT_LINE from the board's PIRQ routing through the standard
bridge swizzle; bridges get SERR# forwarding (Bridge Control), as Linux expects.  It uses
the board's MMCONFIG when there is one (q35: one device access per config read), else
0xCF8/0xCFC (pc: two).  BARs and bridge windows are left to the guest.

**Off unless selected.**  Linux with ACPI numbers bridges, assigns resources and routes
interrupts through _PRT by itself, and QEMU's pc, q35 and microvm machines have ACPI, so no
board pulls this in: a default ROM makes no PCI accesses at all.  Select it with
``--plugin pci`` (or ``plugins = ["pci"]`` in a recipe) for guests without ACPI (``-M
pc,acpi=off``, kernels booted with ``acpi=off``); the manifest's ``plugins`` and ``qboot-fw
list`` show the choice.  Option ``skip_with_acpi = true`` (``--option pci.skip_with_acpi=
true``) makes one ROM for both cases: it walks only when QEMU serves no ACPI tables.

The board tells the walk what it needs at run time through ``board_pci_host``
(boards/common): MMCONFIG base and its IRQ routing routine; 0 on a machine without PCI
(microvm), where the walk does nothing.
"""

from pathlib import Path

from qbootcore import hookimpl
from qbootcore.model import Feature, Fragment, Option, Step
from qboot_boards.common import PCI_INC

HERE = Path(__file__).parent


def fragments(ctx):
    skip = ctx.option("pci", "skip_with_acpi")
    return [Fragment.from_file(HERE / "pci.asm", "text32",
                               constants={"PCI_SKIP_WITH_ACPI": int(skip)})]


@hookimpl
def qboot_features():
    return [Feature(
        name="pci",
        description="PCI walk: bridge bus numbers, INTERRUPT_LINE from the board's PIRQs, "
                    "bridge SERR# forwarding; for guests without ACPI (off unless selected)",
        fragments=fragments,
        constants=(PCI_INC, HERE / "pci.inc"),
        steps=(Step("fw_cfg", "pci_walk", order=90),),
        options={"skip_with_acpi": Option(bool, default=False,
                                          help="true: walk only when QEMU serves no ACPI "
                                               "tables (-M ...,acpi=off); false: always walk")},
    )]
