"""The smbios feature and the example oemstrings plugin in the emulator: the entry point
(2.1 and 3.0) describes the table after smbios_load and after a structure was inserted."""

import struct
import sys
from pathlib import Path

import pytest

from qbootcore.build import Selection, build
from qbootcore.plugins import build_registry, make_manager
from qbootcore.testing import FwCfg, Machine, Panic

TOP = 256 << 20
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "qboot-fw-oemstrings"
STRINGS = ["vendor build 42", "serial ACME-0001"]


def structure(type_, handle, formatted=b"", strings=()):
    body = b"".join(s.encode() + b"\0" for s in strings) + b"\0"
    if not strings:
        body = b"\0\0"
    return struct.pack("<BBH", type_, 4 + len(formatted), handle) + formatted + body


# what QEMU serves (hw/smbios/smbios.c): type 0, 1, 3 with strings, then End-of-Table
TABLES = (structure(0, 0x000, bytes(14), ["QEMU", "1.0"]) +
          structure(1, 0x100, bytes(23), ["QEMU", "Standard PC"]) +
          structure(3, 0x300, bytes(17), ["QEMU"]) +
          structure(127, 0x7F00))


def anchor21(tables):
    sizes = []
    rest = tables
    while rest:
        n = rest[1]
        end = rest.index(b"\0\0", n) + 2
        sizes.append(end)
        rest = rest[end:]
    return (b"_SM_" + struct.pack("<BBBBHB5s", 0, 0x1F, 2, 8, max(sizes), 0, bytes(5)) +
            b"_DMI_" + struct.pack("<BHIHB", 0, len(tables), 0, len(sizes), 0x28))


def anchor30(tables):
    return b"_SM3_" + struct.pack("<BBBBBBBIQ", 0, 0x18, 3, 0, 0, 1, 0, len(tables), 0)


def walk(table):
    out = []
    while table:
        n = table[1]
        end = table.index(b"\0\0", n) + 2
        out.append(table[:end])
        table = table[end:]
    return out


@pytest.fixture(scope="module")
def oem_build():
    sys.path.insert(0, str(EXAMPLE))
    try:
        import qboot_fw_oemstrings
        reg = build_registry(make_manager(extra=(qboot_fw_oemstrings,)))
        return build(Selection(plugins=["oemstrings"],
                               options={"oemstrings": {"strings": STRINGS}}), reg)
    finally:
        sys.path.remove(str(EXAMPLE))
        sys.modules.pop("qboot_fw_oemstrings", None)


def boot(linked, anchor, tables, steps):
    fw = FwCfg()
    fw.add_file("etc/e820", struct.pack("<QQI", 0, TOP, 1))
    if anchor is not None:
        fw.add_file("etc/smbios/smbios-anchor", anchor)
        fw.add_file("etc/smbios/smbios-tables", tables)
    m = Machine(linked, fw)
    for step in ("fw_cfg_init", "e820_init", "alloc_init", *steps):
        m.call(step)
    return m


def entry_point(m):
    ep = m.u32(m.sym("smbios_anchor"))
    return ep, m.read(ep, 0x1F)


def check_21(m, tables):
    ep, raw = entry_point(m)
    assert ep % 16 == 0 and 0xF0000 <= ep < 0x100000
    assert sum(raw) % 256 == 0 and sum(raw[0x10:0x1F]) % 256 == 0
    max_size, = struct.unpack_from("<H", raw, 0x08)
    length, address, count = struct.unpack_from("<HIH", raw, 0x16)
    assert address == m.u32(m.sym("smbios_tables"))
    assert length == len(tables) == m.u32(m.sym("smbios_length"))
    structs = walk(m.read(address, length))
    assert count == len(structs) and max_size == max(map(len, structs))
    return structs


def check_30(m, tables):
    ep, raw = entry_point(m)
    raw = raw[:0x18]
    assert sum(raw) % 256 == 0
    max_size, address = struct.unpack_from("<IQ", raw, 0x0C)
    assert address == m.u32(m.sym("smbios_tables")) and max_size == len(tables)
    return walk(m.read(address, max_size))


@pytest.mark.parametrize("kind", ["2.1", "3.0"])
def test_smbios_load_fills_the_entry_point(q35_linux, kind):
    anchor = anchor21(TABLES) if kind == "2.1" else anchor30(TABLES)
    m = boot(q35_linux.linked, anchor, TABLES, ["smbios_load"])
    structs = (check_21 if kind == "2.1" else check_30)(m, TABLES)
    assert b"".join(structs) == TABLES


def test_without_smbios_from_qemu_nothing_happens(oem_build):
    m = boot(oem_build.linked, None, None, ["smbios_load", "oemstrings_add"])
    assert m.u32(m.sym("smbios_tables")) == 0 and m.u32(m.sym("smbios_anchor")) == 0


@pytest.mark.parametrize("kind", ["2.1", "3.0"])
def test_oemstrings_goes_before_the_end_of_table(oem_build, kind):
    anchor = anchor21(TABLES) if kind == "2.1" else anchor30(TABLES)
    m = boot(oem_build.linked, anchor, TABLES, ["smbios_load", "oemstrings_add"])
    expected = walk(TABLES)
    ours = structure(11, 0x7F01, bytes([len(STRINGS)]), STRINGS)
    new_length = len(TABLES) + len(ours)
    structs = (check_21 if kind == "2.1" else check_30)(m, b"x" * new_length)
    assert structs == expected[:-1] + [ours] + expected[-1:]


def test_oemstrings_appends_when_there_is_no_end_of_table(oem_build):
    tables = TABLES[:-len(structure(127, 0x7F00))]
    m = boot(oem_build.linked, anchor21(tables), tables, ["smbios_load", "oemstrings_add"])
    structs = check_21(m, b"x" * (len(tables) + 5 + sum(len(s) + 1 for s in STRINGS) + 1))
    assert structs[-1][0] == 11 and struct.unpack_from("<H", structs[-1], 2)[0] == 0x301


def test_a_structure_past_the_end_is_refused(q35_linux):
    bad = TABLES[:-3]          # the End-of-Table structure loses its double NUL
    with pytest.raises(Panic, match="structure past table end"):
        boot(q35_linux.linked, anchor21(TABLES), bad, ["smbios_load"])
