"""INT 13h, 19h and 18h called from real mode through the vectors the disk loader installs
(qbootcore.testing.realmode): the 16-bit handlers, bios16_call32 and the 32-bit sides
together, on a simulated virtio-blk disk, after disk_boot has chosen drive 80h."""

import struct

import pytest

from qbootcore.testing import Panic, PciFunction
from qbootcore.testing.realmode import BiosMachine
from qbootcore.testing.virtio_blk import VirtioBlk
from tests.unit.test_disk_virtio import disk_machine, image, linked  # noqa: F401


@pytest.fixture
def booted(linked):  # noqa: F811
    """A machine whose disk_boot reached the real-mode entry of drive 80h."""
    disk = image()
    disk[0] = 0xF4                                    # the boot sector starts with HLT
    blk = VirtioBlk(disk)
    m = disk_machine(linked, [(0, 0, PciFunction(0x8086, 0x29C0)), (3, 0, blk)],
                     cls=BiosMachine)
    enter = m.sym("bios16_enter_real_mode")
    assert m.call("disk_boot", stop_at=(enter,)).entered == enter
    return m, blk


def test_int13_extended_read_through_the_ivt(booted):
    m, blk = booted
    m.write(0x600, struct.pack("<BBHHHQ", 0x10, 0, 16, 0x0000, 0x2000, 33))
    r = m.int_(0x13, eax=0x4200, edx=0x80, esi=0x600, edi=0x1234, ebp=0x5678, ebx=0x9ABC)
    assert not r.cf and r.reg16("eax") >> 8 == 0
    assert m.read(0x20000, 16 * 512) == bytes(blk.disk[33 * 512:49 * 512])
    assert (r.regs["esi"], r.regs["edi"], r.regs["ebp"], r.regs["ebx"]) == (0x600, 0x1234,
                                                                           0x5678, 0x9ABC)
    assert blk.requests[-1] == (0, 33, 16 * 512)
    mmio = [a for a in r.accesses if a.kind.startswith("mmio")]
    assert len(mmio) == 1                             # one device access per request


def test_int13_check_extensions_and_a_floppy_that_is_not_there(booted):
    m, _ = booted
    r = m.int_(0x13, eax=0x4100, ebx=0x55AA, edx=0x80)
    assert not r.cf and r.reg16("ebx") == 0xAA55 and r.reg16("eax") >> 8 == 0x30
    r = m.int_(0x13, eax=0x0800, edx=0x00)
    assert r.cf and r.reg16("eax") >> 8 == 0x01


def test_int19_reads_the_boot_sector_again_and_enters_it(booted):
    m, blk = booted
    m.write(0x7C00, bytes(512))
    with pytest.raises(RuntimeError, match=r"stopped at 0x7c01\)"):   # its HLT ran
        m.int_(0x19)
    assert m.read(0x7C00, 512) == bytes(blk.disk[:512])
    assert blk.requests[-1] == (0, 0, 512)


def test_int18_says_the_boot_failed(booted):
    m, _ = booted
    with pytest.raises((Panic, RuntimeError)):
        m.int_(0x18)
    assert b"boot failure (INT 18h)" in m.debugcon and b"boot failure (INT 18h)" in m.serial
