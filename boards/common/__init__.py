"""What the board plugins share: constants files and the board interface.

Not a plugin (no entry point): the boards import it.

* ``pci.inc``: PCI configuration mechanism #1, the configuration header and the layout of
  the *PCI host description* a board gives the ``pci`` feature (below).
* ``intel.inc``: conventions the i440fx/PIIX and Q35/ICH9 chipsets share: the PAM field
  encoding, the PIRQ-to-IRQ routing QEMU's DSDTs expect, the 8259 ELCR.
* ``lapic.inc`` and ``board.asm``: set-up every board does the same way (the local APIC's
  virtual wire mode), with its step in :data:`SHARED_STEPS`.

**The board interface.**  Exactly one board of a build (the selected one, or ``auto``, which
contains the others) contributes :func:`shared_fragments` and :data:`SHARED_STEPS`: the
shared code above and the firmware variable
``board_pci_host``, which the board's chipset step points at its PCI host description
(``PCI_HOST_*`` in pci.inc) and which stays 0 on a machine without PCI.  Features that need
the chipset's PCI facts (the ``pci`` walk) read it at run time, so they never depend on which
board, or which board ``auto`` detected, is running.
"""

from pathlib import Path

from qbootcore.model import Fragment, Step

HERE = Path(__file__).parent
PCI_INC = HERE / "pci.inc"
INTEL_INC = HERE / "intel.inc"
LAPIC_INC = HERE / "lapic.inc"
#: constants files of the shared code (boards add their own)
SHARED_CONSTANTS = (LAPIC_INC,)
#: steps of the shared code, added once per build by the selected board
SHARED_STEPS = (Step("chipset", "board_virtual_wire", order=60),)


def shared_fragments() -> list[Fragment]:
    """The shared code and the board interface's variables; emitted once per build, by the
    selected board (or ``auto``)."""
    return [Fragment.from_file(HERE / "board.asm", "text32"),
            Fragment(name="board_pci_host", region="bss", size=4, align=4,
                     symbols={"board_pci_host": 0}, origin=str(Path(__file__)))]
