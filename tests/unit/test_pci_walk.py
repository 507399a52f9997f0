"""The pci feature's walk in the emulator against simulated PCI hierarchies
(qbootcore.testing.pci): bridges numbered so that everything behind nested bridges is
reachable, INTERRUPT_LINE from the board's PIRQ routing through the bridge swizzle, SERR#
forwarding on bridges, and what it costs in device accesses on each board."""

import struct

import pytest

from qbootcore.build import Selection, build
from qbootcore.errors import QbootError
from qbootcore.testing import FwCfg, Machine, PciFunction, PciHost

ROUTE = (10, 10, 11, 11)   # PIRQ A-D (and E-H on q35) -> IRQ, boards/common/intel.inc


def piix_irq(root_device, pin):
    """PIIX3: root-bus device d, pin p (0 = INTA) -> PIRQ (d - 1 + p) mod 4."""
    return ROUTE[(root_device - 1 + pin) % 4]


def ich9_irq(root_device, pin):
    """ICH9: devices 0-24 rotate by device number, 25-31 do not (PIRQ E-H = A-D here)."""
    return ROUTE[((root_device if root_device < 25 else 0) + pin) % 4]


class Topology:
    """Builds a hierarchy and remembers, for every function, its path of device numbers
    from bus 0 and its interrupt pin, to compute what the walk must produce."""

    def __init__(self, host):
        self.host = host
        self.functions = []        # (function, path, pin)

    def device(self, bus, path, dev, fn=0, pin=1, ids=(0x1AF4, 0x1005)):
        f = bus.add(dev, fn, PciFunction(*ids, pin=pin))
        self.functions.append((f, path + [dev], pin))
        return f

    def bridge(self, bus, path, dev, fn=0, pin=1, ids=(0x1B36, 0x0001)):
        behind = bus.add_bridge(dev, fn, *ids, pin=pin)
        bridge = bus.functions[(dev << 3) | fn]
        self.functions.append((bridge, path + [dev], pin))
        return behind, path + [dev]

    def expected_irq(self, path, pin, route):
        return route(path[0], (pin - 1 + sum(path[1:])) % 4)

    def expected_accesses(self, per_access):
        """What the walk's algorithm costs on this hierarchy: per present function three
        reads and one write (a pin or a bridge to set up), two more writes per bridge; one
        read per absent function probed."""
        def bus_cost(bus):
            n = 0
            for dev in range(32):
                first = bus.functions.get(dev << 3)
                if first is None:
                    n += 1
                    continue
                fns = range(8) if first.config[0x0E] & 0x80 else range(1)
                for fn in fns:
                    f = bus.functions.get((dev << 3) | fn)
                    if f is None:
                        n += 1
                        continue
                    n += 3 + (1 if f.config[0x3D] or f.is_bridge else 0)
                    if f.is_bridge:
                        n += 2 + bus_cost(f.secondary)
            return n
        return bus_cost(self.host) * per_access


def pc_topology():
    """-M pc with two levels of pci-bridge and devices at each level."""
    host = PciHost()
    t = Topology(host)
    host.add(0, 0, PciFunction(0x8086, 0x1237))
    host.add(1, 0, PciFunction(0x8086, 0x7000))
    host.add(1, 1, PciFunction(0x8086, 0x7010))               # IDE: no pin
    t.device(host, [], 1, 3, pin=1, ids=(0x8086, 0x7113))     # PIIX4 PM: the SCI, IRQ 9
    host.add(2, 0, PciFunction(0x1234, 0x1111))               # VGA: no pin
    t.device(host, [], 3, pin=1, ids=(0x8086, 0x100E))        # e1000
    b1, p1 = t.bridge(host, [], 5)
    b2, p2 = t.bridge(b1, p1, 3)
    t.device(b2, p2, 4, pin=1)
    t.device(b2, p2, 4, 1, pin=2)
    t.device(b1, p1, 6, pin=2)
    b3, p3 = t.bridge(host, [], 7)
    t.device(b3, p3, 0, pin=1)
    return t


def q35_topology():
    """-M q35 with root ports (one multi-function), a virtio-net behind one, a
    pcie-pci-bridge with devices behind another, and a switch with two downstream ports."""
    host = PciHost(ecam_base=0xB000_0000)
    t = Topology(host)
    host.add(0, 0, PciFunction(0x8086, 0x29C0))
    host.add(1, 0, PciFunction(0x1234, 0x1111))
    rp_ids = (0x1B36, 0x000C)
    rp1, p1 = t.bridge(host, [], 0x10, ids=rp_ids)
    t.device(rp1, p1, 0, pin=1, ids=(0x1AF4, 0x1041))         # virtio-net
    rp2, p2 = t.bridge(host, [], 0x11, ids=rp_ids)
    ppb, pp = t.bridge(rp2, p2, 0, ids=(0x1B36, 0x000E))      # pcie-pci-bridge
    t.device(ppb, pp, 1, pin=1)
    t.device(ppb, pp, 2, pin=2)
    rp3, p3 = t.bridge(host, [], 0x1C, 0, ids=rp_ids)
    rp4, p4 = t.bridge(host, [], 0x1C, 1, pin=2, ids=rp_ids)
    up, pu = t.bridge(rp4, p4, 0, ids=(0x1B36, 0x000A))       # switch upstream port
    for dev in (0, 1):
        down, pd = t.bridge(up, pu, dev, ids=(0x1B36, 0x000B))
        t.device(down, pd, 0, pin=1 + dev)
    t.device(host, [], 0x1F, 2, pin=1, ids=(0x8086, 0x2922))  # AHCI, an unrotated device
    host.add(0x1F, 0, PciFunction(0x8086, 0x2918))
    return t


@pytest.fixture(scope="module")
def rom():
    built = {}

    def get(board, options=None):
        key = (board, repr(options))
        if key not in built:
            built[key] = build(Selection(board=board, loaders=["linux"], plugins=["pci"],
                                         options=options or {}))
        return built[key]
    return get


def walk(linked, host, board_host, fw_cfg=None):
    m = Machine(linked, fw_cfg, devices=(host,))
    m.write(m.sym("board_pci_host"), struct.pack("<I", m.sym(board_host)))
    return m, m.call("pci_walk")


def check_walk(t, route):
    reachable = {id(f) for _, f in t.host.walk()}
    for f, path, pin in t.functions:
        assert id(f) in reachable, path
        if f.is_bridge:
            assert f.u8(0x3E) & 0x02, f"SERR# forwarding on bridge {path}"
        if pin and f.read(0, 4) != 0x71138086:
            assert f.u8(0x3C) == t.expected_irq(path, pin, route), path


def expected_numbers(host):
    """Depth-first, in devfn order: (primary, secondary, subordinate) of every bridge."""
    out, last = [], [0]

    def visit(bus, number):
        for devfn in sorted(bus.functions):
            f = bus.functions[devfn]
            if f.is_bridge:
                last[0] += 1
                secondary = last[0]
                visit(f.secondary, secondary)
                out.append((f, (number, secondary, last[0])))
    visit(host, 0)
    return out


def test_pc_walk_numbers_nested_bridges_and_routes_irqs(rom):
    t = pc_topology()
    numbers = expected_numbers(t.host)
    m, r = walk(rom("pc").linked, t.host, "pc_pci_host")
    for bridge, expect in numbers:
        assert bridge.bus_numbers == expect
    check_walk(t, piix_irq)
    pm = t.host.function(0x0B)
    assert pm.u8(0x3C) == 9                                   # the SCI, not a PIRQ
    # functions without a pin and that are not bridges are not written
    assert t.host.function(0x09).writes == [] and t.host.function(0x10).writes == []
    # mechanism #1: two port accesses per config access
    assert all(a.kind in ("in", "out") and a.address in (0xCF8, 0xCFC) for a in r.accesses)
    assert len(r.accesses) == t.expected_accesses(per_access=2)


def test_q35_walk_uses_mmconfig_one_access_per_config_access(rom):
    t = q35_topology()
    numbers = expected_numbers(t.host)
    m, r = walk(rom("q35").linked, t.host, "q35_pci_host")
    for bridge, expect in numbers:
        assert bridge.bus_numbers == expect
    check_walk(t, ich9_irq)
    assert all(a.kind.startswith("mmio") for a in r.accesses)
    assert len(r.accesses) == t.expected_accesses(per_access=1)
    # the device behind the pcie-pci-bridge behind a root port: root port 0x11, INTB of
    # device 2 arrives as INTD at the root port (2 + 1 + 0), ICH9 rotates by 0x11
    dev = next(f for f, path, pin in t.functions if path == [0x11, 0, 2])
    assert dev.u8(0x3C) == ROUTE[(0x11 + 3) % 4]


def test_devices_behind_a_deep_chain_of_bridges_are_reachable(rom):
    host = PciHost(ecam_base=0xB000_0000)
    t = Topology(host)
    host.add(0, 0, PciFunction(0x8086, 0x29C0))
    bus, path = host, []
    for level in range(6):
        bus, path = t.bridge(bus, path, 1 + level)
    t.device(bus, path, 3, pin=1)
    walk(rom("q35").linked, host, "q35_pci_host")
    check_walk(t, ich9_irq)
    bdfs = [bdf for bdf, f in host.walk() if f is t.functions[-1][0]]
    assert bdfs == [(6 << 8) | (3 << 3)]


def test_bridges_beyond_the_depth_limit_stay_unconfigured(rom):
    host = PciHost(ecam_base=0xB000_0000)
    bus = host
    for level in range(40):
        bus = bus.add_bridge(1)
    host.add(0, 0, PciFunction(0x8086, 0x29C0))
    m, r = walk(rom("q35").linked, host, "q35_pci_host")
    numbered = [bdf for bdf, f in host.walk() if f.is_bridge and f.bus_numbers[1]]
    assert len(numbered) == 32                  # PCI_MAX_DEPTH (plugins/pci/pci.inc)


def test_no_pci_host_means_no_accesses(rom):
    m = Machine(rom("microvm").linked)
    assert m.u32(m.sym("board_pci_host")) == 0
    assert m.call("pci_walk").accesses == []


def test_skip_with_acpi_walks_only_without_acpi_tables(rom):
    linked = rom("q35", {"pci": {"skip_with_acpi": True}}).linked
    for acpi in (True, False):
        t = q35_topology()
        fw = FwCfg()
        if acpi:
            fw.add_file("etc/table-loader", bytes(128))
        m = Machine(linked, fw, devices=(t.host,))
        m.call("fw_cfg_init")
        m.write(m.sym("board_pci_host"), struct.pack("<I", m.sym("q35_pci_host")))
        r = m.call("pci_walk")
        assert (r.accesses == []) == acpi


def test_skip_with_acpi_takes_a_boolean():
    with pytest.raises(QbootError, match="skip_with_acpi must be true or false"):
        build(Selection(board="q35", plugins=["pci"],
                        options={"pci": {"skip_with_acpi": "maybe"}}))
