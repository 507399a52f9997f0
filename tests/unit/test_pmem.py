"""The pmem feature's build-time checks and its boot-time step (in the emulator)."""

import struct

import pytest

from qbootcore.build import Selection, build
from qbootcore.errors import QbootError
from qbootcore.testing import FwCfg, Machine, Panic


def pmem_build(**options):
    return build(Selection(plugins=["pmem"], options={"pmem": options}))


@pytest.mark.parametrize("options,message", [
    ({"legacy_start": 0x10000001, "legacy_size": 0x200000}, "2 MiB aligned"),
    ({"legacy_start": 0x10000000, "legacy_size": 0x300000}, "2 MiB aligned"),
    ({"legacy_start": 0x10000000, "legacy_size": 0x100000}, "legacy_size needs a value of at least 0x200000"),
    ({"legacy_start": 0, "legacy_size": 0x200000}, "overlaps the first MiB"),
    ({"legacy_start": 0xAFE00000, "legacy_size": 0x400000}, "overlaps the q35 MMCONFIG"),
    ({"legacy_start": 0xFFE00000, "legacy_size": 0x400000}, "below 4 GiB"),
    ({"legacy_start": 0x10000000}, "give both legacy_start and legacy_size"),
    ({"legacy_start": "lots", "legacy_size": 0x200000}, "must be an integer"),
])
def test_bad_legacy_ranges_are_refused_at_build_time(options, message):
    with pytest.raises(QbootError, match=message):
        pmem_build(**options)


def test_no_options_adds_no_code():
    assert "pmem" not in build(Selection(plugins=["pmem"])).manifest["bytes_by_plugin"]


def machine(linked, ram):
    fw = FwCfg()
    fw.add_file("etc/e820", struct.pack("<QQI", 0, ram, 1))
    m = Machine(linked, fw)
    for step in ("fw_cfg_init", "e820_init", "core_reserve"):
        m.call(step)
    return m


def test_the_range_becomes_e820_type_12():
    m = machine(pmem_build(legacy_start=0x10000000, legacy_size=0x4000000).linked, 512 << 20)
    m.call("pmem_reserve")
    n = m.u32(m.sym("e820_count"))
    entries = [struct.unpack("<QQI", m.read(m.sym("e820_map") + 20 * i, 20)) for i in range(n)]
    assert (0x10000000, 0x4000000, 12) in entries
    assert (0x100000, 0x10000000 - 0x100000, 1) in entries


def test_a_range_beyond_ram_panics_with_the_reason():
    m = machine(pmem_build(legacy_start=0x10000000, legacy_size=0x4000000).linked, 128 << 20)
    with pytest.raises(Panic, match="not inside the guest's RAM"):
        m.call("pmem_reserve")
