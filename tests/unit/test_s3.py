"""The s3 feature in the emulator: the cold-boot check and its cost, the firmware RAM
reserved in e820, the FACS found through the ACPI tables at boot, and on a wake: the CMOS
status cleared, the board's late steps, the 32-bit X vector entered, and a panic that says
why for every case it cannot resume."""

import struct

import pytest

from qbootcore.build import Selection, build
from qbootcore.testing import FwCfg, Machine, Panic

RSDP, RSDT, FADT, FACS = 0x0F_0000 - 0x100, 0x100_0000, 0x100_1000, 0x100_2000
X_VECTOR = 0x20_0000


class Cmos:
    """CMOS index/data ports 0x70/0x71 (only what s3 uses)."""

    def __init__(self, shutdown_status):
        self.regs = {0x0F: shutdown_status}
        self.index = 0

    def port_read(self, port, size):
        return self.regs.get(self.index, 0) if port == 0x71 else None

    def port_write(self, port, size, value):
        if port == 0x70:
            self.index = value & 0x7F
        elif port == 0x71:
            self.regs[self.index] = value & 0xFF
        else:
            return False
        return True


@pytest.fixture(scope="module")
def linked():
    return build(Selection(board="q35", loaders=["linux"], plugins=["s3"])).linked


def tables(m, facs_version=0, real=0, x=0, ospm=0, via_x_firmware_ctrl=False):
    m.write(RSDP, b"RSD PTR " + bytes(8) + struct.pack("<I", RSDT))
    m.write(RSDT, b"RSDT" + struct.pack("<I", 36 + 8) + bytes(28) + struct.pack("<II", 0x100_3000, FADT))
    m.write(0x100_3000, b"APIC")
    fadt = bytearray(244)
    fadt[0:4] = b"FACP"
    struct.pack_into("<I", fadt, 4, len(fadt))
    if via_x_firmware_ctrl:
        struct.pack_into("<Q", fadt, 132, FACS)
    else:
        struct.pack_into("<I", fadt, 36, FACS)
    m.write(FADT, bytes(fadt))
    facs = bytearray(64)
    facs[0:4] = b"FACS"
    struct.pack_into("<I", facs, 4, 64)
    struct.pack_into("<I", facs, 12, real)
    struct.pack_into("<Q", facs, 24, x)
    facs[32] = facs_version
    struct.pack_into("<I", facs, 36, ospm)
    m.write(FACS, bytes(facs))
    m.write(m.sym("acpi_rsdp"), struct.pack("<I", RSDP))


def machine(linked, status):
    cmos = Cmos(status)
    return Machine(linked, FwCfg(), devices=(cmos,)), cmos


def test_cold_boot_costs_two_accesses(linked):
    m, cmos = machine(linked, 0x00)
    r = m.call("s3_resume")
    assert [(a.kind, a.address) for a in r.accesses] == [("out", 0x70), ("in", 0x71)]


def test_facs_recorded_through_rsdt_and_fadt(linked):
    for via_x in (False, True):
        m, _ = machine(linked, 0)
        tables(m, via_x_firmware_ctrl=via_x)
        m.call("s3_record_facs")
        facs, check = struct.unpack("<II", m.read(m.sym("s3_record"), 8))
        assert facs == FACS and check == FACS ^ 0xFFFFFFFF


def test_no_tables_no_record_and_a_wake_panics(linked):
    m, cmos = machine(linked, 0xFE)
    m.write(m.sym("s3_record"), b"\xff" * 8)       # what RAM held before
    m.call("s3_record_facs")                         # acpi_rsdp = 0: no ACPI
    with pytest.raises(Panic, match="no FACS was recorded"):
        m.call("s3_resume")
    assert cmos.regs[0x0F] == 0, "the shutdown status is cleared before anything else"


def test_wake_enters_the_x_vector_after_the_board_late_steps(linked):
    m, cmos = machine(linked, 0xFE)
    tables(m, facs_version=1, real=0x8000, x=X_VECTOR)
    m.call("s3_record_facs")
    r = m.call("s3_resume", stop_at=(X_VECTOR,))
    assert r.entered == X_VECTOR
    assert cmos.regs[0x0F] == 0
    # q35's late step made the F-segment read-only (PAM0 = 1: reads from RAM)
    assert m.mmio.get(0xB000_0000 + 0x90) == 0x10


@pytest.mark.parametrize("facs,message", [
    (dict(facs_version=0, real=0, x=X_VECTOR), "no waking vector"),   # X ignored before v1
    (dict(facs_version=2, x=X_VECTOR, ospm=1), "64-bit waking environment"),
    (dict(facs_version=1, x=1 << 32), "above 4 GiB"),
])
def test_wake_without_a_usable_vector_panics(linked, facs, message):
    m, _ = machine(linked, 0xFE)
    tables(m, **facs)
    m.call("s3_record_facs")
    with pytest.raises(Panic, match=message):
        m.call("s3_resume", stop_at=(X_VECTOR,))


def test_firmware_ram_reserved(linked):
    fw = FwCfg()
    fw.add_file("etc/e820", struct.pack("<QQI", 0, 0x9FC00, 1) + struct.pack("<QQI", 1 << 20, 127 << 20, 1))
    m = Machine(linked, fw)
    m.call("fw_cfg_init")
    m.call("e820_init")
    m.call("s3_reserve")
    n = m.u32(m.sym("e820_count"))
    entries = [struct.unpack("<QQI", m.read(m.sym("e820_map") + 20 * i, 20)) for i in range(n)]
    assert (0x30000, 0x20000, 2) in entries, entries
