"""The boards' steps in the emulator against a simulated PCI hierarchy (qbootcore.testing.pci):
the chipset registers pc and q35 program, the accesses they cost, the local APIC's virtual
wire mode, microvm's table zones, and the auto board's detection and dispatch."""

import struct
import subprocess
import sys

import pytest

from qbootcore.build import Selection, build
from qbootcore.testing import FwCfg, Machine, Panic, PciFunction, PciHost

MiB = 1 << 20
ELCR2 = 0x4D1


@pytest.fixture(scope="module")
def roms():
    """board name -> linked build with the linux loader (built once per module)."""
    built = {}

    def get(board, plugins=()):
        key = (board, tuple(plugins))
        if key not in built:
            built[key] = build(Selection(board=board, loaders=["linux"], plugins=list(plugins)))
        return built[key]
    return get


def pc_host():
    """QEMU -M pc's chipset functions: i440fx, PIIX3 (ISA, IDE) and PIIX4 PM at 00:01.3."""
    host = PciHost()
    host.add(0, 0, PciFunction(0x8086, 0x1237))
    host.add(1, 0, PciFunction(0x8086, 0x7000, class_code=0x060100))
    host.add(1, 1, PciFunction(0x8086, 0x7010, class_code=0x010180))
    host.add(1, 3, PciFunction(0x8086, 0x7113, pin=1, class_code=0x068000))
    return host


def q35_host():
    """QEMU -M q35's chipset functions: the MCH and the ICH9 LPC bridge, MMCONFIG at
    0xB0000000 (decoded from the start here; the firmware enables it first anyway)."""
    host = PciHost(ecam_base=0xB000_0000)
    host.add(0, 0, PciFunction(0x8086, 0x29C0))
    host.add(0x1F, 0, PciFunction(0x8086, 0x2918, class_code=0x060100))
    return host


def e820_fw_cfg(ram=256 * MiB):
    fw = FwCfg()
    fw.add_file("etc/e820", struct.pack("<QQI", 0, ram, 1))
    return fw


def ports(result, port):
    return [a.value for a in result.accesses if a.kind == "out" and a.address == port]


def assert_fseg_filled(m, rom):
    """The F-segment's RAM holds the ROM's 16-bit regions: the used part of fseg and the
    reset vector, and nothing beyond (only what is used is copied)."""
    used = (rom.linked.usage["fseg"] + 3) & ~3
    assert m.read(0xFE000, used) == rom.rom[0xE000:0xE000 + used]
    assert m.read(0xFFFF0, 16) == rom.rom[0xFFF0:]
    assert m.read(0xFE000 + used, 0x1FF0 - used) == bytes(0x1FF0 - used)


def test_pc_init_programs_pam_pirq_pm_smbus_and_elcr(roms):
    rom = roms("pc")
    host = pc_host()
    m = Machine(rom.linked, devices=(host,))
    m.write(0xF0000, bytes(0x10000))             # the RAM under the F-segment starts empty
    r = m.call("pc_init")
    i440fx, piix3, pm = host.function(0x00), host.function(0x08), host.function(0x0B)
    # F-segment: RAM, filled from the ROM's high alias (QEMU's write-only PAM mode reads RAM)
    assert [w for w in i440fx.writes if w[0] == 0x59] == [(0x59, 1, 0x30)]
    assert_fseg_filled(m, rom)
    assert piix3.u32(0x60) == 0x0B0B0A0A                      # PIRQ A-D -> 10, 10, 11, 11
    assert pm.u32(0x40) == 0x601 and pm.u8(0x80) & 1          # PM I/O at 0x600, enabled
    assert pm.u32(0x90) == 0x701 and pm.u8(0xD2) == 0x09      # SMBus at 0x700, enabled
    assert ports(r, ELCR2) == [0x0C]                           # IRQ 10, 11 level-triggered
    assert m.u32(m.sym("board_pci_host")) == m.sym("pc_pci_host")
    assert len(r.accesses) == 13, r.accesses
    assert all(a.kind == "out" for a in r.accesses)


def test_pc_makes_the_f_segment_read_only(roms):
    host = pc_host()
    m = Machine(roms("pc").linked, devices=(host,))
    m.call("pc_init")
    r = m.call("pc_fseg_readonly")
    assert host.function(0).u8(0x59) == 0x10 and len(r.accesses) == 2


def test_q35_init_uses_mmconfig_after_pciexbar(roms):
    host = q35_host()
    rom = roms("q35")
    m = Machine(rom.linked, devices=(host,))
    m.write(0xF0000, bytes(0x10000))             # the RAM under the F-segment starts empty
    r = m.call("q35_init")
    mch, lpc = host.function(0x00), host.function(0xF8)
    assert mch.u32(0x60) == 0xB000_0001
    assert [w for w in mch.writes if w[0] == 0x90] == [(0x90, 1, 0x30)]
    assert_fseg_filled(m, rom)
    assert lpc.u32(0x40) == 0x600 and lpc.u8(0x44) == 0x80
    assert lpc.u32(0x60) == lpc.u32(0x68) == 0x0B0B0A0A
    assert ports(r, ELCR2) == [0x0C]
    kinds = [a.kind for a in r.accesses]
    assert kinds == ["out", "out"] + ["mmio-write"] * 5 + ["out"]
    assert m.u32(m.sym("board_pci_host")) == m.sym("q35_pci_host")
    r = m.call("q35_fseg_readonly")
    assert mch.u8(0x90) == 0x10 and len(r.accesses) == 1


def test_every_board_leaves_the_local_apic_in_virtual_wire_mode(roms):
    m = Machine(roms("microvm").linked)
    r = m.call("board_virtual_wire")
    assert [(a.kind, a.address, a.value) for a in r.accesses] == [
        ("out", 0x21, 0xFF), ("out", 0xA1, 0xFF),              # 8259s masked
        ("mmio-write", 0xFEE000F0, 0x1FF),                      # APIC enabled, vector 0xFF
        ("mmio-write", 0xFEE00350, 0x8700),                     # LINT0: ExtINT
        ("mmio-write", 0xFEE00360, 0x400)]                      # LINT1: NMI


@pytest.mark.parametrize("board", ["pc", "q35", "microvm", "auto"])
def test_the_virtual_wire_step_runs_once_per_rom(roms, board):
    chain = next(p for p in roms(board).linked.placements if p.fragment.name == "init_chain")
    calls = [l.text for l in chain.lines if l.text.startswith("call")]
    target = hex(roms(board).linked.symbols["board_virtual_wire"])
    assert sum(target in c for c in calls) == 1


def microvm_machine(rom, ram=256 * MiB):
    m = Machine(rom.linked, e820_fw_cfg(ram))
    for step in ("fw_cfg_init", "e820_init", "alloc_init"):
        m.call(step)
    return m


def test_microvm_moves_the_table_zones(roms):
    rom = roms("microvm")
    m = Machine(rom.linked, e820_fw_cfg())
    assert m.call("microvm_init").accesses == []
    for step in ("fw_cfg_init", "e820_init", "alloc_init"):
        m.call(step)
    # fseg: the pool in the ROM image, through its F-segment alias (writable on microvm)
    pool = m.sym("microvm_fseg_pool") - 0xFFFF0000 + 0xF0000
    rsdp = m.call("alloc_fseg", ecx=36, edx=16).regs["edi"]
    assert rsdp == pool and 0xF0000 <= rsdp < 0x100000
    # high: below 1 MiB, above the VGA window, not at the top of RAM where QEMU put the initrd
    tables = m.call("alloc_high", ecx=0x3000, edx=64).regs["edi"]
    assert 0xC0000 <= tables and tables + 0x3000 <= 0xF0000
    # loaders keep their loads below alloc_high_ptr: nothing of the firmware's is up there
    assert m.u32(m.sym("alloc_high_ptr")) == 256 * MiB
    m.call("alloc_reserve")
    n = m.u32(m.sym("e820_count"))
    entries = [struct.unpack("<QQI", m.read(m.sym("e820_map") + 20 * i, 20)) for i in range(n)]
    assert (tables & ~0xFFF, 0xF0000 - (tables & ~0xFFF), 2) in entries


def test_microvm_fseg_pool_is_bounded(roms):
    m = Machine(roms("microvm").linked, e820_fw_cfg())
    m.call("microvm_init")
    for step in ("fw_cfg_init", "e820_init", "alloc_init"):
        m.call(step)
    pool = next(p.size for p in m.linked.placements if p.fragment.name == "microvm_pool")
    assert pool == 0x200
    m.call("alloc_fseg", ecx=pool - 0x10, edx=16)
    with pytest.raises(Panic, match="table memory full"):
        m.call("alloc_fseg", ecx=0x20, edx=16)


def test_default_zones_are_the_f_segment_and_the_top_of_ram(roms):
    m = microvm_machine(roms("q35"))
    assert m.call("alloc_fseg", ecx=36, edx=16).regs["edi"] == 0xF0000
    edi = m.call("alloc_high", ecx=0x100, edx=16).regs["edi"]
    assert edi == 256 * MiB - 0x100 and m.u32(m.sym("alloc_high_ptr")) == edi


# -- auto --------------------------------------------------------------------------------

@pytest.mark.parametrize("machine,index,host", [
    ("microvm", 1, None), ("pc", 2, pc_host), ("q35", 3, q35_host)])
def test_auto_detects_the_machine_and_runs_its_steps(roms, machine, index, host):
    rom = roms("auto")
    devices = (host(),) if host else ()
    m = Machine(rom.linked, e820_fw_cfg(), devices=devices)
    r = m.call("auto_detect")
    assert len(r.accesses) == 2                                 # CONFIG_ADDRESS, CONFIG_DATA
    assert m.read(m.sym("auto_board"), 1)[0] == index
    m.call("auto_chipset_50")
    expect = {"pc": "pc_pci_host", "q35": "q35_pci_host"}.get(machine)
    assert m.u32(m.sym("board_pci_host")) == (m.sym(expect) if expect else 0)
    if machine == "pc":
        assert devices[0].function(0x08).u32(0x60) == 0x0B0B0A0A
    if machine == "q35":
        assert devices[0].function(0xF8).u32(0x40) == 0x600
    if machine == "microvm":
        m.call("fw_cfg_init")
        m.call("e820_init")
        m.call("alloc_init")
        assert 0xF0000 < m.call("alloc_fseg", ecx=16, edx=16).regs["edi"] < 0x100000
        assert m.call("alloc_high", ecx=16, edx=16).regs["edi"] < 0xF0000


def test_auto_refuses_an_unknown_machine(roms):
    host = PciHost()
    host.add(0, 0, PciFunction(0x1234, 0x5678))
    m = Machine(roms("auto").linked, devices=(host,))
    with pytest.raises(Panic, match="unknown machine.*microvm, pc, q35"):
        m.call("auto_detect")


def test_auto_contains_every_board_once_and_the_manifest_shows_its_cost(roms):
    auto = roms("auto")
    for symbol in ("pc_init", "q35_init", "microvm_init", "auto_detect", "board_virtual_wire"):
        assert symbol in auto.linked.symbols
    man = auto.manifest
    assert man["board"] == "auto" and man["machine"] == "q35|microvm|pc"
    cost = man["bytes_by_plugin"]["auto"]
    for board in ("pc", "q35", "microvm"):
        assert cost > roms(board).manifest["bytes_by_plugin"][board]
    # the members' own fragments, the shared board code once, and the dispatcher
    mine = {f["name"]: f["size"] for f in man["fragments"]
            if f["owner"] == "auto" and f["region"] != "bss"}
    assert set(mine) == {"pc", "q35", "microvm", "microvm_pool", "board", "intel",
                         "auto_dispatch"}
    assert sum(mine.values()) == cost


# -- the PCI walk as a visible choice -------------------------------------------------------

def test_the_pci_walk_is_off_by_default_and_visible_when_chosen(roms):
    for board in ("pc", "q35", "microvm", "auto"):
        assert "pci" not in roms(board).manifest["plugins"]
        assert "pci_walk" not in roms(board).linked.symbols
        assert "pci" in roms(board, ["pci"]).manifest["plugins"]
    out = subprocess.run([sys.executable, "-m", "qbootcore.cli", "list"],
                         capture_output=True, text=True).stdout
    pci_line = next(l for l in out.splitlines() if l.strip().startswith("pci "))
    assert "off unless selected" in pci_line
    for board in ("pc", "q35"):
        line = next(l for l in out.splitlines() if l.strip().startswith(board + " "))
        assert "--plugin pci" in line
