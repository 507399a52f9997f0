"""The MP table (plugins/mptable) in the emulator, read back the way Linux's mpparse.c reads
it: the floating pointer by a scan of the F-segment, then the checksums and every entry."""

import struct

import pytest

from qbootcore.build import Selection, build
from qbootcore.errors import QbootError
from qbootcore.testing import FwCfg
from qbootcore.testing.realmode import BiosMachine, PciConfigSpace

FW_CFG_NB_CPUS, FW_CFG_MAX_CPUS = 0x05, 0x0F
SIZES = {0: 20, 1: 8, 2: 8, 3: 8, 4: 8}
ISA_IRQS = [irq for irq in range(16) if irq != 2]          # not 2, the cascade
Q35_ID, PC_ID = 0x29C08086, 0x12378086


def ich9_pirq(device, pin):
    """QEMU hw/isa/lpc_ich9.c, ich9_cc_init/ich9_cc_update with the reset D25IR..D31IR."""
    if device == 30:
        return pin + 4
    if device >= 25:
        return pin
    return (device + pin) % 4 + 4


@pytest.fixture(scope="module")
def roms():
    cache = {}

    def get(board="q35", **options):
        key = (board, tuple(sorted(options.items())))
        if key not in cache:
            sel = Selection(board=board, loaders=["linux"], plugins=["mptable"],
                            options={"mptable": options} if options else {})
            cache[key] = build(sel)
        return cache[key]
    return get


def boot(rom, cpus=1, max_cpus=None, cpuid=None, pci=None, steps=("q35_init",)):
    fw = FwCfg()
    fw.add_file("etc/e820", struct.pack("<QQI", 0, 512 << 20, 1))
    fw.add_item(FW_CFG_NB_CPUS, struct.pack("<H", cpus))
    fw.add_item(FW_CFG_MAX_CPUS, struct.pack("<H", max_cpus or cpus))
    m = BiosMachine(rom.linked, fw, pci=pci, cpuid=cpuid)
    for step in (*steps, "fw_cfg_init", "e820_init", "alloc_init", "core_reserve"):
        m.call(step)
    result = m.call("mptable_build")
    m.call("alloc_reserve")
    return m, result


def parse(m):
    """Linux's checks (arch/x86/kernel/mpparse.c) and the entries, decoded."""
    fseg = m.read(0xF0000, 0x10000)
    hits = [i for i in range(0, len(fseg), 16) if fseg[i:i + 4] == b"_MP_"]
    assert len(hits) == 1
    mpf = fseg[hits[0]:hits[0] + 16]
    assert sum(mpf) & 0xFF == 0 and mpf[8] == 1 and mpf[9] == 4 and mpf[11:] == bytes(5)
    phys = struct.unpack_from("<I", mpf, 4)[0]
    header = m.read(phys, 44)
    length, count = struct.unpack_from("<HH", header, 4)[0], struct.unpack_from("<H", header, 0x22)[0]
    table = m.read(phys, length)
    assert table[:4] == b"PCMP" and table[6] == 4 and sum(table) & 0xFF == 0
    assert table[8:16] == b"QBOOT-FW" and struct.unpack_from("<I", table, 0x24)[0] == 0xFEE00000
    assert struct.unpack_from("<IH", table, 0x1C) == (0, 0)          # no OEM table
    assert struct.unpack_from("<HB", table, 0x28) == (0, 0)          # no extended table
    out = {t: [] for t in SIZES}
    offset, types = 44, []
    while offset < length:
        kind = table[offset]
        entry = table[offset:offset + SIZES[kind]]
        types.append(kind)
        if kind == 0:
            apic, version, flags, signature, features = struct.unpack_from("<BBBII", entry, 1)
            assert entry[12:] == bytes(8)
            out[0].append((apic, version, flags, signature, features))
        elif kind == 1:
            out[1].append((entry[1], entry[2:8].decode()))
        elif kind == 2:
            out[2].append(struct.unpack_from("<BBBI", entry, 1))
        else:
            out[kind].append(struct.unpack_from("<BHBBBB", entry, 1))
        offset += SIZES[kind]
    assert offset == length and len(types) == count and types == sorted(types)
    return phys, out


def io_ints(entries, bus):
    return [(irq, pin, flags) for kind, flags, b, irq, apic, pin in entries[3] if b == bus]


def test_q35_table(roms):
    m, _ = boot(roms("q35"), cpus=4)
    phys, e = parse(m)
    assert [(a, v, f) for a, v, f, *_ in e[0]] == [(0, 0x14, 3), (1, 0x14, 1), (2, 0x14, 1),
                                                   (3, 0x14, 1)]
    assert e[1] == [(0, "PCI   "), (1, "ISA   ")]
    assert e[2] == [(4, 0x20, 1, 0xFEC00000)]
    # every root-bus device's INTA-D on its ICH9 PIRQ's pin, 16-23, level/low
    assert io_ints(e, 0) == [((d << 2) | p, 16 + ich9_pirq(d, p), 0x0F)
                             for d in range(32) for p in range(4)]
    # ISA IRQs on the pin of the same number, IRQ 0 on pin 2, no IRQ 2; as the bus says
    assert io_ints(e, 1) == [(irq, 2 if irq == 0 else irq, 0) for irq in ISA_IRQS]
    assert all(kind == 0 and apic == 4 for kind, _, _, _, apic, _ in e[3])
    assert e[4] == [(3, 0, 1, 0, 0, 0), (1, 0, 1, 0, 0xFF, 1)]   # ExtINT LINT0, NMI LINT1
    # the table is in memory the e820 map reserves
    e820 = [struct.unpack("<QQI", m.read(m.sym("e820_map") + 20 * i, 20))
            for i in range(m.u32(m.sym("e820_count")))]
    assert any(base <= phys < base + size and kind == 2 for base, size, kind in e820)


def test_processor_signature_comes_from_cpuid(roms):
    cpuid = {1: (0x000806F8, 0, 0, 0x178BFBFF)}
    m, _ = boot(roms("q35"), cpus=2, cpuid=cpuid)
    _, e = parse(m)
    assert [(sig, feat) for *_, sig, feat in e[0]] == [(0x000806F8, 0x178BFBFF)] * 2


def test_device_accesses_are_two_fw_cfg_transfers(roms):
    m, r = boot(roms("q35"), cpus=8)
    assert [(a.kind, a.address) for a in r.accesses] == [("out", 0x518)] * 2
    assert [sel for _, sel, _ in m.fw_cfg.transfers[-2:]] == [FW_CFG_NB_CPUS, FW_CFG_MAX_CPUS]


def test_hotpluggable_cpus_are_listed_disabled(roms):
    m, _ = boot(roms("q35"), cpus=2, max_cpus=6)                # -smp 2,maxcpus=6
    _, e = parse(m)
    assert [(a, f) for a, _, f, *_ in e[0]] == [(0, 3), (1, 1), (2, 0), (3, 0), (4, 0), (5, 0)]
    assert e[2][0][0] == 6


def topology(threads, cores):
    """CPUID leaf 0Bh as QEMU reports it (target/i386/cpu.c, one die per package)."""
    width = lambda n: (n - 1).bit_length()                      # noqa: E731
    smt, pkg = width(threads), width(threads) + width(cores)
    return {0: (0x1F, 0, 0, 0), (0xB, 0): (smt, threads, 0x100, 0),
            (0xB, 1): (pkg, threads * cores, 0x201, 0)}


def qemu_apic_ids(sockets, cores, threads):
    width = lambda n: (n - 1).bit_length()                      # noqa: E731
    return [(s << (width(threads) + width(cores))) | (c << width(threads)) | t
            for s in range(sockets) for c in range(cores) for t in range(threads)]


@pytest.mark.parametrize("sockets,cores,threads", [(2, 3, 1), (2, 3, 2), (1, 2, 2), (3, 1, 1)])
def test_apic_ids_follow_qemu_topology(roms, sockets, cores, threads):
    ids = qemu_apic_ids(sockets, cores, threads)
    m, _ = boot(roms("q35"), cpus=len(ids), max_cpus=ids[-1] + 1,
                cpuid=topology(threads, cores))
    _, e = parse(m)
    assert [(a, f) for a, _, f, *_ in e[0]] == [(a, 3 if a == 0 else 1) for a in ids]
    assert e[2][0][0] == ids[-1] + 1                            # the IOAPIC's ID


def test_cpu_count_is_capped_at_what_xapic_ids_can_name(roms):
    m, _ = boot(roms("q35"), cpus=288, max_cpus=288)
    _, e = parse(m)
    assert len(e[0]) == 254 and e[2][0][0] == 254


def test_pc_routes_pci_to_the_pirq_irqs(roms):
    m, _ = boot(roms("pc"), cpus=2, steps=("pc_init",))
    _, e = parse(m)
    irqs = [10, 10, 11, 11]                                     # boards/common PIRQ_ROUTE_ABCD
    expect = [((d << 2) | p, irqs[(d - 1 + p) & 3], 0x0F) for d in range(32) for p in range(4)]
    assert io_ints(e, 0) == expect
    assert io_ints(e, 1) == [(irq, 2 if irq == 0 else irq, 0) for irq in ISA_IRQS
                             if irq not in (10, 11)]


def test_no_pci_routing(roms):
    m, _ = boot(roms("q35", pci_routing="none"), cpus=1)
    _, e = parse(m)
    assert e[1] == [(1, "ISA   ")] and io_ints(e, 0) == []
    assert len(io_ints(e, 1)) == 15


@pytest.mark.parametrize("host,first_pin", [(Q35_ID, 16 + 4), (PC_ID, 11)])
def test_auto_board_picks_the_routing_at_run_time(roms, host, first_pin):
    pci = PciConfigSpace()
    pci.add(0x0000, host & 0xFFFF, host >> 16)
    m, _ = boot(roms("auto"), cpus=1, pci=pci, steps=("auto_detect", "auto_chipset_50"))
    _, e = parse(m)
    assert io_ints(e, 0)[0] == (0, first_pin, 0x0F)


def test_bad_routing_option_is_refused(roms):
    with pytest.raises(QbootError, match="mptable.pci_routing must be one of q35, board, none, auto, not 'isa'"):
        roms("q35", pci_routing="isa")


def test_q35_requires_the_mp_table():
    res = build(Selection(board="q35", loaders=["linux"]))
    assert "mptable" in res.manifest["plugins"]
