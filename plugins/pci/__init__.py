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

**Resource assignment** is a second feature, ``pci_assign`` (it pulls in the walk): after
the e820 map has its reservations (stage ``reserve``) it sizes every BAR, ROM BAR and bridge
window of the functions the walk found and assigns I/O, 32-bit and 64-bit memory, as a
PC BIOS does (docs/boards.md, "PCI resource assignment").  On in ``recipes/general.toml``.

The board tells the walk what it needs at run time through ``board_pci_host``
(boards/common): MMCONFIG base and its IRQ routing routine; 0 on a machine without PCI
(microvm), where the walk does nothing.
"""

from pathlib import Path

from qbootcore import hookimpl
from qbootcore.errors import QbootError
from qbootcore.model import Feature, Fragment, Option, Step
from qboot_boards.common import PCI_INC

HERE = Path(__file__).parent


def fragments(ctx):
    skip = ctx.option("pci", "skip_with_acpi")
    return [Fragment.from_file(HERE / "pci.asm", "text32",
                               constants={"PCI_SKIP_WITH_ACPI": int(skip)})]


def config_fragments(ctx):
    return [Fragment.from_file(HERE / "pci_config.asm", "text32")]


def assign_fragments(ctx):
    return [Fragment.from_file(HERE / "pci_assign.asm", "text32")]


@hookimpl
def qboot_build_started(ctx):
    if "pci_assign" in ctx.plugins and ctx.option("pci", "skip_with_acpi"):
        raise QbootError("pci_assign needs the walk's bus numbers, which pci.skip_with_acpi="
                         "true leaves out when QEMU has ACPI; drop that option")


@hookimpl
def qboot_features():
    return [Feature(
        name="pci_config",
        description="PCI configuration space access (pci_read32, pci_write32, pci_write16: "
                    "MMCONFIG or mechanism #1) for the features and loaders that require it",
        fragments=config_fragments,
        constants=(PCI_INC, HERE / "pci.inc"),
    ), Feature(
        name="pci",
        description="PCI walk: bridge bus numbers, INTERRUPT_LINE from the board's PIRQs, "
                    "bridge SERR# forwarding; for guests without ACPI (off unless selected)",
        fragments=fragments,
        constants=(PCI_INC, HERE / "pci.inc"),
        requires=("pci_config",),
        steps=(Step("fw_cfg", "pci_walk", order=90),),
        options={"skip_with_acpi": Option(bool, default=False,
                                          help="true: walk only when QEMU serves no ACPI "
                                               "tables (-M ...,acpi=off); false: always walk")},
    ), Feature(
        name="pci_assign",
        description="PCI resource assignment: sizes every BAR and bridge window and assigns "
                    "I/O, 32-bit and 64-bit memory (largest first), enables decoding; for "
                    "guests that do not assign them (32-bit Linux, kvm-unit-tests)",
        fragments=assign_fragments,
        constants=(PCI_INC, HERE / "pci.inc", HERE / "pci_assign.inc"),
        requires=("pci",),
        steps=(Step("reserve", "pci_assign", order=90),),
    )]
