"""The e820 routines, run in the emulator against a simulated fw_cfg and compared with a
Python model of the same rules: sorted, no overlaps, no empty entries, later wins."""

import random
import struct

import pytest

from qbootcore.testing import FwCfg, Panic

RAM, RESERVED, HOLE = 1, 2, 0
GiB = 1 << 30


def pack(entries):
    return b"".join(struct.pack("<QQI", *e) for e in entries)


def read_map(m):
    n = m.u32(m.sym("e820_count"))
    return [struct.unpack("<QQI", m.read(m.sym("e820_map") + 20 * i, 20)) for i in range(n)]


def model_add(entries, start, length, kind):
    """Reference: carve [start, start+length) out of entries, then insert it (unless a hole)."""
    end = start + length
    out = []
    for base, size, t in entries:
        if size == 0:
            continue
        e = base + size
        if base >= end or e <= start:
            out.append((base, size, t))
            continue
        if base < start:
            out.append((base, start - base, t))
        if e > end:
            out.append((end, e - end, t))
    if length and kind != HOLE:
        out.append((start, length, kind))
    return sorted(out, key=lambda x: x[0])


@pytest.fixture
def machine(emu):
    """machine(entries, dma=True): fw_cfg_init and e820_init done over that etc/e820."""
    def make(entries, dma=True):
        fw = FwCfg(dma=dma)
        fw.add_file("etc/e820", pack(entries))
        m = emu(fw)
        m.call("fw_cfg_init")
        m.call("e820_init")
        return m
    return make


def test_init_sorts_and_drops_empty_entries(machine):
    m = machine([(4 * GiB, GiB, RAM), (0x5000, 0, RAM), (0, 512 << 20, RAM),
                 (0xFEFFC000, 0x4000, RESERVED)])
    assert read_map(m) == [(0, 512 << 20, RAM), (0xFEFFC000, 0x4000, RESERVED),
                           (4 * GiB, GiB, RAM)]


def test_core_reservations_match_a_pc_map(machine):
    m = machine([(0, 512 << 20, RAM)])
    m.call("core_reserve")
    assert read_map(m) == [(0, 0x9F000, RAM), (0x9F000, 0x1000, RESERVED),
                           (0xF0000, 0x10000, RESERVED), (0x100000, (512 << 20) - 0x100000, RAM)]


def test_random_carving_matches_the_model(machine):
    rnd = random.Random(20261126)
    for _ in range(40):
        entries = [(0, 3 * GiB - 0x1000000, RAM), (4 * GiB, 2 * GiB, RAM)]
        m = machine(entries)
        expect = model_add(entries, 0, 0, RAM)
        for _ in range(6):
            start = rnd.randrange(0, 0xF000_0000, 0x400)
            length = rnd.choice([0, 0x400, 0x10000, rnd.randrange(0, 0x2000_0000, 0x1000)])
            length = min(length, 0xFFFF_F000 - start)
            kind = rnd.choice([RAM, RESERVED, HOLE, 3])
            m.call("e820_add", eax=start, edx=length, ebx=kind)
            expect = model_add(expect, start, length, kind)
            assert read_map(m) == expect, (hex(start), hex(length), kind)


def test_e820_over_fw_cfg_without_dma(machine):
    m = machine([(0, 256 << 20, RAM)], dma=False)
    assert read_map(m) == [(0, 256 << 20, RAM)]
    assert m.fw_cfg.transfers == []  # everything went through the data port


def test_low_ram_top_ignores_ram_above_4g_and_reserved(machine):
    m = machine([(0, 0x7FFE0000, RAM), (0x7FFE0000, 0x20000, RESERVED), (4 * GiB, GiB, RAM)])
    assert m.call("e820_low_ram_top").regs["eax"] == 0x7FFE0000


def test_missing_e820_panics_with_a_reason(emu):
    m = emu(FwCfg())
    m.call("fw_cfg_init")
    with pytest.raises(Panic, match="no etc/e820"):
        m.call("e820_init")
    assert b"etc/e820" in m.serial
