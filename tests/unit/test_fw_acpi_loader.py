"""The etc/table-loader interpreter, in the emulator against a simulated fw_cfg, with a
script built here the way QEMU's hw/acpi/bios-linker-loader.c lays it out."""

import struct

import pytest

from qbootcore.testing import FwCfg, Panic

TOP = 256 << 20


def alloc(name, align, zone):
    return struct.pack("<I56sIB", 1, name.encode(), align, zone).ljust(128, b"\0")


def add_pointer(dest, src, offset, size):
    return struct.pack("<I56s56sIB", 2, dest.encode(), src.encode(), offset, size).ljust(128, b"\0")


def add_checksum(name, offset, start, length):
    return struct.pack("<I56sIII", 3, name.encode(), offset, start, length).ljust(128, b"\0")


def write_pointer(dest, src, dst_offset, src_offset, size):
    return struct.pack("<I56s56sIIB", 4, dest.encode(), src.encode(), dst_offset, src_offset,
                       size).ljust(128, b"\0")


@pytest.fixture
def run(emu):
    """run(files, script) -> machine after fw_cfg_init, e820, alloc_init and acpi_load."""
    def go(files, script):
        fw = FwCfg()
        fw.add_file("etc/e820", struct.pack("<QQI", 0, TOP, 1))
        for name, data in files.items():
            fw.add_file(name, data)
        fw.add_file("etc/table-loader", b"".join(script))
        m = emu(fw)
        for step in ("fw_cfg_init", "e820_init", "alloc_init", "acpi_load"):
            m.call(step)
        return m
    return go


def test_allocate_pointer_checksum_and_write_pointer(run):
    rsdp = bytearray(b"RSD PTR " + bytes(12))         # checksum at 8, RSDT pointer at 16
    tables = bytearray(b"\x11" * 64 + b"DSDT" + bytes(60))
    files = {"etc/acpi/rsdp": bytes(rsdp), "etc/acpi/tables": bytes(tables),
             "etc/vmgenid_guid": bytes(range(16)) * 256, "etc/vmgenid_addr": bytes(8)}
    script = [alloc("etc/acpi/rsdp", 16, 2), alloc("etc/acpi/tables", 64, 1),
              alloc("etc/vmgenid_guid", 4096, 1),
              add_pointer("etc/acpi/rsdp", "etc/acpi/tables", 16, 4),
              add_pointer("etc/acpi/tables", "etc/acpi/tables", 0, 8),
              add_pointer("etc/acpi/tables", "etc/acpi/tables", 8, 2),
              add_pointer("etc/acpi/tables", "etc/acpi/tables", 10, 1),
              add_checksum("etc/acpi/rsdp", 8, 0, 20),
              write_pointer("etc/vmgenid_addr", "etc/vmgenid_guid", 0, 40, 8)]
    m = run(files, script)
    rsdp_addr = m.u32(m.sym("acpi_rsdp"))
    assert 0xF0000 <= rsdp_addr < 0xFE000 and rsdp_addr % 16 == 0   # FSEG zone
    tables_addr = struct.unpack("<I", m.read(rsdp_addr + 16, 4))[0]
    assert tables_addr % 64 == 0 and TOP - 0x28000 <= tables_addr < TOP  # HIGH zone
    assert m.read(tables_addr + 64, 4) == b"DSDT"
    assert sum(m.read(rsdp_addr, 20)) % 256 == 0
    # pointers of every width, added to what the file held
    assert struct.unpack("<Q", m.read(tables_addr, 8))[0] == 0x1111111111111111 + tables_addr
    assert struct.unpack("<H", m.read(tables_addr + 8, 2))[0] == (0x1111 + tables_addr) & 0xFFFF
    assert m.read(tables_addr + 10, 1)[0] == (0x11 + tables_addr) & 0xFF
    # WRITE_POINTER: QEMU learns where the GUID landed, through a DMA write of 8 bytes
    # (the value written is the file's address plus src_offset)
    written = struct.unpack("<Q", m.fw_cfg.file("etc/vmgenid_addr"))[0]
    base = written - 40
    assert base % 4096 == 0 and m.read(base, 32) == bytes(range(16)) * 2
    assert m.fw_cfg.transfers[-2:] == [(0x0C, m.fw_cfg.files["etc/vmgenid_addr"], 0),
                                       (0x10, m.fw_cfg.files["etc/vmgenid_addr"], 8)]


def test_high_zone_is_reserved_in_e820(run):
    m = run({"etc/acpi/tables": bytes(100)}, [alloc("etc/acpi/tables", 64, 1)])
    m.call("alloc_reserve")
    n = m.u32(m.sym("e820_count"))
    last = struct.unpack("<QQI", m.read(m.sym("e820_map") + 20 * (n - 1), 20))
    assert last == (TOP - 0x1000, 0x1000, 2)


def test_no_table_loader_means_no_acpi(emu):
    fw = FwCfg()
    fw.add_file("etc/e820", struct.pack("<QQI", 0, TOP, 1))
    m = emu(fw)
    for step in ("fw_cfg_init", "e820_init", "alloc_init", "acpi_load"):
        m.call(step)
    assert m.u32(m.sym("acpi_rsdp")) == 0


@pytest.mark.parametrize("files,script,reason", [
    ({}, [alloc("etc/acpi/missing", 16, 1)], "file not in fw_cfg"),
    ({"a": bytes(8)}, [alloc("a", 3, 1)], "malformed"),                        # not 2^n
    ({"a": bytes(8)}, [alloc("a", 16, 7)], "malformed"),                       # zone
    ({"a": bytes(8)}, [alloc("a", 16, 1), add_pointer("a", "a", 6, 4)], "malformed"),
    ({"a": bytes(8)}, [alloc("a", 16, 1), add_checksum("a", 2, 4, 8)], "malformed"),
    ({"a": bytes(8)}, [add_pointer("a", "a", 0, 4)], "before ALLOCATE"),
    ({"a": bytes(0x30000)}, [alloc("a", 16, 1)], "table memory full"),
])
def test_bad_scripts_panic_with_a_reason(run, files, script, reason):
    with pytest.raises(Panic, match=reason):
        run(files, script)
