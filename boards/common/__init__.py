"""What the board plugins share: constants files, code, and the chipset data of QEMU's Intel
boards.

Not a plugin (no entry point): the boards import it.

* ``pci.inc``: PCI configuration mechanism #1, the configuration header and the layout of
  the *PCI host description* a board gives the ``pci`` feature (below).
* ``intel.inc`` and ``intel.asm`` (:data:`INTEL`): what the i440fx/PIIX and Q35/ICH9 boards
  do the same way: the PAM field encoding, filling the F-segment's shadow RAM
  (``board_fseg_fill``), the routing byte of a PIRQ link (``board_pirq_irq``), the 8259 ELCR.
* ``lapic.inc`` and ``board.asm`` (:data:`COMMON`): set-up every board does the same way
  (the local APIC's virtual wire mode) and the board interface's variable.
* :class:`IntelBoard`: a board description whose chipset values (the PIRQ routing) are
  data, so that a variant is ``dataclasses.replace(PC, name="mypc", pirq_irqs=(11, 10, 11,
  10))`` and no copy of the assembly.

**The board interface.**  A board lists :data:`COMMON` (and :data:`INTEL`) in its
``shared``; the build emits each once, also in an ``auto`` ROM that contains several boards:
the shared code above and the firmware variable ``board_pci_host``, which the board's chipset
step points at its PCI host description (``PCI_HOST_*`` in pci.inc) and which stays 0 on a
machine without PCI.  Features that need the chipset's PCI facts (the ``pci`` walk) read it at
run time, so they never depend on which board, or which board ``auto`` detected, is running.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qbootcore.errors import QbootError
from qbootcore.model import Board, Component, Fragment, Step

HERE = Path(__file__).parent
PCI_INC = HERE / "pci.inc"
INTEL_INC = HERE / "intel.inc"
LAPIC_INC = HERE / "lapic.inc"


def _common_fragments(ctx) -> list[Fragment]:
    return [Fragment.from_file(HERE / "board.asm", "text32"),
            Fragment(name="board_pci_host", region="bss", size=4, align=4,
                     symbols={"board_pci_host": 0}, origin=str(Path(__file__)))]


#: the code every board shares, emitted once per ROM
COMMON = Component(name="board_common", description="local APIC virtual wire; board_pci_host",
                   fragments=_common_fragments, constants=(LAPIC_INC,),
                   steps=(Step("chipset", "board_virtual_wire", order=60),))
#: the code the Intel chipset boards share (pc, q35)
INTEL = Component(name="board_intel", description="F-segment fill, PIRQ routing byte",
                  fragments=lambda ctx: [Fragment.from_file(HERE / "intel.asm", "text32")],
                  constants=(PCI_INC, INTEL_INC))

#: ISA IRQs a PIRQ route register may name (82371SB PIIX3 "PIRQRC[A:D]", ICH9
#: "PIRQ[n]_ROUT": 0-2, 8 and 13 are reserved)
PIRQ_VALID_IRQS = (3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15)


@dataclass(frozen=True)
class IntelBoard(Board):
    """A board of QEMU's Intel chipsets whose chipset values are data.

    Its code is ``sources`` (assembly files, region text32), each assembled with the
    fragment-local constants of :meth:`chipset_constants`; a variant overrides the data
    (``dataclasses.replace``) and keeps the code.
    """

    #: the ISA IRQ of PIRQ A, B, C, D: by default 10, 10, 11, 11, what SeaBIOS and qboot
    #: program; QEMU's DSDT link devices offer 5, 10 and 11 (hw/i386/acpi-build.c) and
    #: report whatever the route registers hold (_CRS)
    pirq_irqs: tuple[int, int, int, int] = (10, 10, 11, 11)
    #: the board's own assembly files (region text32)
    sources: tuple[Path, ...] = ()

    def __post_init__(self):
        super().__post_init__()
        irqs = tuple(self.pirq_irqs)
        if len(irqs) != 4 or any(i not in PIRQ_VALID_IRQS for i in irqs):
            raise QbootError(f"board {self.name}: pirq_irqs must be four IRQs among "
                             f"{', '.join(map(str, PIRQ_VALID_IRQS))}, not {irqs}")
        object.__setattr__(self, "pirq_irqs", irqs)
        object.__setattr__(self, "fragments", self.chipset_fragments)
        if self.chipset_constants()["BOARD_ELCR1_LEVEL"]:
            steps = tuple(self.steps) + (Step("chipset", f"{self.name}_elcr1", order=55),)
            object.__setattr__(self, "steps", tuple(dict.fromkeys(steps)))

    def chipset_constants(self) -> dict[str, int]:
        """BOARD_PIRQ_ROUTE (the route registers' dword) and the ELCR level bits."""
        level = sum(1 << irq for irq in set(self.pirq_irqs))
        return {"BOARD_PIRQ_ROUTE": sum(irq << 8 * i for i, irq in enumerate(self.pirq_irqs)),
                "BOARD_ELCR1_LEVEL": level & 0xFF, "BOARD_ELCR2_LEVEL": level >> 8}

    def chipset_fragments(self, ctx) -> list[Fragment]:
        values = self.chipset_constants()
        frags = [Fragment.from_file(src, "text32", constants=values) for src in self.sources]
        if values["BOARD_ELCR1_LEVEL"]:
            frags.append(Fragment(
                name=f"{self.name}_elcr1", region="text32", constants=values,
                origin=f"<generated by {Path(__file__)}>", source=(
                    f"; {self.name}_elcr1 (step, stage chipset): the PIRQs' IRQs below 8 are "
                    "level-triggered (intel.inc).\n; One device access.  Clobbers: EAX, EDX.\n"
                    f".global {self.name}_elcr1\n{self.name}_elcr1:\n"
                    "    mov dx, ELCR1_PORT\n    mov al, BOARD_ELCR1_LEVEL\n    out dx, al\n"
                    "    ret\n")))
        return frags
