"""Boards are data: a pc variant with other PIRQ routing is a replaced description (the
plugin below is the whole variant), and a ROM run on the wrong machine says so."""

from dataclasses import replace

import pytest

from qbootcore import hookimpl
from qbootcore.build import Selection, build
from qbootcore.plugins import build_registry, make_manager
from qbootcore.testing import Machine, Panic
from qboot_boards.pc import PC
from tests.unit.test_boards import pc_host, ports, q35_host


class PcAlt:
    """The whole variant: pc with PIRQ A-D on IRQ 11, 5, 11, 10."""

    @hookimpl
    def qboot_boards(self):
        return [replace(PC, name="pc_alt", description="pc, other PIRQ routing",
                        in_auto=False, pirq_irqs=(11, 5, 11, 10))]


@pytest.fixture(scope="module")
def reg():
    return build_registry(make_manager(extra=(PcAlt(),)))


def test_a_pc_variant_routes_its_own_pirqs(reg):
    rom = build(Selection(board="pc_alt", loaders=["linux"]), reg)
    host = pc_host()
    m = Machine(rom.linked, devices=(host,))
    r = m.call("pc_init")
    assert host.function(0x08).u32(0x60) == 0x0A0B050B           # PIRQRC A-D: 11, 5, 11, 10
    assert ports(r, 0x4D1) == [0x0C]                              # IRQ 10, 11 level
    assert ports(m.call("pc_alt_elcr1"), 0x4D0) == [0x20]         # IRQ 5 level
    # INTA of root-bus device 2 is PIRQ (2 - 1 + 0) mod 4 = B: IRQ 5; device 3 INTB: D
    assert m.call("pc_pci_irq", eax=2, edx=0, ecx=2 << 3).regs["eax"] == 5
    assert m.call("pc_pci_irq", eax=3, edx=1, ecx=3 << 3).regs["eax"] == 10
    # the stock pc is unchanged, and stays the member of auto for its host bridge
    assert "pc_elcr1" not in build(Selection(board="pc"), reg).linked.symbols
    assert "pc" in reg.boards["auto"].description and "pc_alt" not in reg.boards["auto"].description


def test_bad_routing_is_refused():
    with pytest.raises(Exception, match="pirq_irqs must be four IRQs among 3, 4, 5"):
        replace(PC, name="pc_bad", pirq_irqs=(10, 10, 11, 13))


@pytest.fixture(scope="module")
def failure(tmp_path_factory):
    """Panic with a message of ours, as fw_cfg_xfer does when a DMA transfer fails."""
    def run(board, host):
        m = Machine(build(Selection(board=board)).linked, devices=(host,) if host else ())
        m.write(0x7000, b"fw_cfg DMA transfer failed\0")
        with pytest.raises(Panic) as exc:
            m.call("panic", esi=0x7000)
        return str(exc.value)
    return run


def test_a_rom_on_the_wrong_machine_names_both(failure):
    assert failure("pc", q35_host()) == (
        "qboot-fw: panic: ROM for board pc, machine is q35: build with --board q35 "
        "(failed: fw_cfg DMA transfer failed)")
    assert "machine is microvm: build with --board microvm" in failure("q35", NoPci())
    assert "ROM for board q35, machine is unknown (failed: " in failure("q35", _unknown_host())


def test_on_its_own_machine_the_panic_is_unchanged(failure):
    assert failure("pc", pc_host()) == "qboot-fw: panic: fw_cfg DMA transfer failed"
    assert failure("auto", q35_host()) == "qboot-fw: panic: fw_cfg DMA transfer failed"


def _unknown_host():
    from qbootcore.testing import PciFunction, PciHost
    host = PciHost()
    host.add(0, 0, PciFunction(0x1234, 0x5678))
    return host


class NoPci:
    """microvm: no device at 0xCF8/0xCFC, reads return all ones."""

    def port_read(self, port, size):
        return (1 << 8 * size) - 1 if port in (0xCF8, 0xCFC) else None

    def port_write(self, port, size, value):
        return port == 0xCF8


def test_a_variant_keeps_the_mp_tables_pci_routing(reg):
    """mptable picks its routing from the board's machine types, not from its name."""
    rom = build(Selection(board="pc_alt"), reg)
    kind = next(p for p in rom.linked.placements if p.fragment.name == "mptable_pci_kind")
    assert "pci_routing = board" in kind.fragment.source
