"""The pci_assign feature in the emulator, after the walk, against simulated PCI hierarchies
with BARs (qbootcore.testing.pci): every BAR aligned, in its region, inside every window
above it, nothing overlapping; bridge windows; 64-bit BARs above 4 GiB when the 32-bit
hole cannot hold them; warnings for what does not fit; decoding enabled; the same
addresses every time; the ROM map/unmap routines."""

import struct

import pytest

from qbootcore.build import Selection, build
from qbootcore.testing import FwCfg, Machine, PciFunction, PciHost

GiB, MiB = 1 << 30, 1 << 20
RAM, RESERVED = 1, 2
MEM32_END = 0xFEC00000
ECAM = 0xB000_0000


@pytest.fixture(scope="module")
def linked():
    built = {}

    def get(board):
        if board not in built:
            built[board] = build(Selection(board=board, loaders=["linux"],
                                           plugins=["pci_assign"])).linked
        return built[board]
    return get


def e820(entries):
    return b"".join(struct.pack("<QQI", *e) for e in entries)


def assign(linked, host, board_host, entries, reserved_end=None):
    fw = FwCfg()
    fw.add_file("etc/e820", e820(entries))
    if reserved_end is not None:
        fw.add_file("etc/reserved-memory-end", struct.pack("<Q", reserved_end))
    m = Machine(linked, fw, devices=(host,))
    m.call("fw_cfg_init")
    m.call("e820_init")
    m.write(m.sym("board_pci_host"), struct.pack("<I", m.sym(board_host)))
    m.call("pci_walk")
    return m, m.call("pci_assign")


Q35_E820 = [(0, 0x9FC00, RAM), (MiB, 511 * MiB, RAM), (ECAM, 256 * MiB, RESERVED)]


def q35_host(big=1 << 31, extra=()):
    """q35's default functions, an e1000, a root port with a pcie-pci-bridge with a virtio
    device behind it, a root port with an ivshmem-like device (a `big` 64-bit BAR)."""
    host = PciHost(ecam_base=ECAM)
    host.add(0, 0, PciFunction(0x8086, 0x29C0))
    host.add(1, 0, PciFunction(0x1234, 0x1111, bars={0: ("mem32pref", 16 * MiB),
                                                     2: ("mem32", 0x1000)}, rom=0x10000))
    host.add(2, 0, PciFunction(0x8086, 0x100E, pin=1, bars={0: ("mem32", 0x20000),
                                                            1: ("io", 0x40)}, rom=0x40000))
    rp1 = host.add_bridge(0x10)
    ppb = rp1.add_bridge(0)
    ppb.add(1, 0, PciFunction(0x1AF4, 0x1000, pin=1, bars={0: ("io", 0x20), 1: ("mem32", 0x1000),
                                                           4: ("mem64pref", 0x4000)}))
    rp2 = host.add_bridge(0x11)
    rp2.add(0, 0, PciFunction(0x1AF4, 0x1110, bars={0: ("mem32", 0x100), 2: ("mem64pref", big)}))
    for dev, fn in extra:
        host.add(dev, 0, fn)
    host.add(0x1F, 0, PciFunction(0x8086, 0x2918))
    host.add(0x1F, 2, PciFunction(0x8086, 0x2922, pin=1, bars={4: ("io", 0x20), 5: ("mem32", 0x1000)}))
    return host


def resources(host):
    """[(bdf, function, kind, start, end)] of every BAR and ROM, and the bridges' windows."""
    out = []
    for bdf, f in host.walk():
        for index, (kind, size) in f.bars.items():
            start = f.bar(index)
            out.append((bdf, f, kind, start, start + size - 1))
        if f.rom:
            start = f.rom_address & 0xFFFFF800
            out.append((bdf, f, "rom", start, start + f.rom - 1))
    return out


def parents(host):
    """{id(function): [bridges above it]}."""
    out = {}

    def visit(bus, above):
        for f in bus.functions.values():
            out[id(f)] = above
            if f.is_bridge:
                visit(f.secondary, above + [f])
    visit(host, [])
    return out


WINDOW_OF = {"io": "io", "mem32": "mem", "mem32pref": "mem", "mem64": "mem", "rom": "mem",
             "mem64pref": "pref"}


def check(host, hole_start):
    res = resources(host)
    above = parents(host)
    for bdf, f, kind, start, end in res:
        size = end - start + 1
        assert start % max(size, 0x1000 if kind != "io" else 1) == 0, (hex(bdf), kind, hex(start))
        if kind == "io":
            assert 0x1000 <= start and end < 0x10000, (hex(bdf), hex(start))
        elif kind == "mem64pref":
            assert (hole_start <= start and end < MEM32_END) or start >= 4 * GiB, hex(start)
        else:
            assert hole_start <= start and end < MEM32_END, (hex(bdf), kind, hex(start))
        for bridge in above[id(f)]:
            window = bridge.windows()[WINDOW_OF[kind]]
            assert window and window[0] <= start and end <= window[1], (hex(bdf), kind, window)
    spans = sorted((start, end, hex(bdf), kind) for bdf, f, kind, start, end in res
                   if kind != "io") + sorted((s, e, hex(b), k) for b, f, k, s, e in res if k == "io")
    mem = [s for s in spans if s[3] != "io"]
    io = [s for s in spans if s[3] == "io"]
    for group in (sorted(mem), sorted(io)):
        for a, b in zip(group, group[1:]):
            assert a[1] < b[0], ("overlap", a, b)
    for bdf, f in host.walk():
        kinds = {k for k, _ in f.bars.values()}
        if f.is_bridge:
            assert f.command & 0x7 == 0x7
        else:
            assert bool(f.command & 1) == ("io" in kinds), hex(bdf)
            assert bool(f.command & 2) == bool(kinds - {"io"}), hex(bdf)
            assert bool(f.command & 4) == bool(kinds), hex(bdf)
            if f.rom:
                assert not f.rom_address & 1, "ROM left disabled"


def test_q35_everything_assigned_inside_its_windows(linked):
    host = q35_host(big=64 * MiB)
    m, r = assign(linked("q35"), host, "q35_pci_host", Q35_E820)
    check(host, hole_start=0xC000_0000)
    assert all(a.kind.startswith("mmio") for a in r.accesses)
    assert b"warning" not in bytes(m.debugcon)
    # 64 MiB fits in the hole: everything below 4 GiB, at its top
    ivshmem = host.function(3 << 8)
    assert 0xC000_0000 <= ivshmem.bar(2) < MEM32_END
    # the nested bridge's windows lie inside its parent's
    rp1, ppb = host.function(0x10 << 3), host.function(1 << 8)
    for kind in ("io", "mem", "pref"):
        inner, outer = ppb.windows()[kind], rp1.windows()[kind]
        assert inner and outer and outer[0] <= inner[0] and inner[1] <= outer[1], kind
        granule = 0x1000 if kind == "io" else MiB
        assert inner[0] % granule == 0 and (inner[1] + 1) % granule == 0
    # a root port with nothing of a kind behind it keeps that window closed
    assert host.function(0x11 << 3).windows()["io"] is None


def test_root_bus_largest_alignment_first(linked):
    host = q35_host(big=64 * MiB)
    assign(linked("q35"), host, "q35_pci_host", Q35_E820)
    bus0 = sorted((start, end - start + 1) for bdf, f, kind, start, end in resources(host)
                  if bdf >> 8 == 0 and kind not in ("io", "mem64pref"))
    sizes = [size for _, size in bus0]
    assert sizes == sorted(sizes, reverse=True), [hex(s) for s in sizes]


def test_large_64bit_bar_goes_above_4g_after_ram_and_hotplug_area(linked):
    host = q35_host(big=2 * GiB)
    entries = Q35_E820 + [(4 * GiB, GiB, RAM)]
    assign(linked("q35"), host, "q35_pci_host", entries, reserved_end=6 * GiB + 0x1000)
    check(host, hole_start=0xC000_0000)
    big = host.function(3 << 8).bar(2)
    assert big >= 6 * GiB + 0x1000 and big % (2 * GiB) == 0, hex(big)
    # the bridge's prefetchable window holds it, with its upper halves
    window = host.function(0x11 << 3).windows()["pref"]
    assert window[0] <= big and big + 2 * GiB - 1 <= window[1]


def test_same_devices_same_addresses(linked):
    first, second = q35_host(), q35_host()
    assign(linked("q35"), first, "q35_pci_host", Q35_E820)
    assign(linked("q35"), second, "q35_pci_host", Q35_E820)
    assert [(b, k, s) for b, f, k, s, e in resources(first)] == \
           [(b, k, s) for b, f, k, s, e in resources(second)]


def test_pc_mechanism1_nested_bridges(linked):
    host = PciHost()
    host.add(0, 0, PciFunction(0x8086, 0x1237))
    host.add(1, 0, PciFunction(0x8086, 0x7000))
    host.add(1, 1, PciFunction(0x8086, 0x7010, bars={4: ("io", 0x10)}))
    host.add(2, 0, PciFunction(0x1234, 0x1111, bars={0: ("mem32pref", 16 * MiB)}, rom=0x10000))
    br1 = host.add_bridge(5)
    br2 = br1.add_bridge(3)
    br2.add(4, 0, PciFunction(0x1AF4, 0x1005, pin=1, bars={0: ("io", 0x20), 1: ("mem32", 0x1000),
                                                           4: ("mem64pref", 0x4000)}))
    br1.add(6, 0, PciFunction(0x1AF4, 0x1005, pin=1, bars={0: ("io", 0x20), 1: ("mem32", 0x1000)}))
    m, r = assign(linked("pc"), host, "pc_pci_host", [(0, 0x9FC00, RAM), (MiB, 511 * MiB, RAM)])
    check(host, hole_start=512 * MiB)
    assert all(a.kind in ("in", "out") and a.address in (0xCF8, 0xCFC) for a in r.accesses)
    assert b"warning" not in bytes(m.debugcon)


def test_what_does_not_fit_is_named_and_left_unassigned(linked):
    # two 1 GiB 32-bit BARs cannot both go in q35's hole 0xC0000000-0xFEC00000
    extra = [(5, PciFunction(0x1AF4, 0x1110, bars={0: ("mem32", GiB)})),
             (6, PciFunction(0x1AF4, 0x1110, bars={0: ("mem32", GiB), 1: ("io", 0x20)}))]
    host = q35_host(big=64 * MiB, extra=extra)
    m, r = assign(linked("q35"), host, "q35_pci_host", Q35_E820)
    assert b"pci_assign: no room, left unassigned: 00:06.0 register 10" in bytes(m.debugcon)
    placed = host.function(5 << 3)
    assert placed.bar(0) == 0xC000_0000
    skipped = host.function(6 << 3)
    assert skipped.bar(0) == 0xC000_0000 and skipped.u32(0x10) == 0xC000_0000, \
        "left as sized (all ones in the address bits the device implements)"
    assert skipped.command & 0x3 == 0x1, "only its I/O BAR is decoded"
    # everything else still fits around them
    others = [x for x in resources(host) if x[1] is not skipped]
    assert all(s != 0 for _, _, k, s, _ in others)


def test_rom_map_and_unmap(linked):
    host = q35_host(big=64 * MiB)
    m, _ = assign(linked("q35"), host, "q35_pci_host", Q35_E820)
    e1000 = host.function(2 << 3)
    address = e1000.rom_address
    r = m.call("pci_assign_rom_map", eax=2 << 3)
    assert r.regs["eax"] == address != 0 and e1000.rom_address == address | 1
    assert e1000.command & 2
    m.call("pci_assign_rom_unmap", eax=2 << 3)
    assert e1000.rom_address == address
    assert m.call("pci_assign_rom_map", eax=0).regs["eax"] == 0      # the host bridge: none
