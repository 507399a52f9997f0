"""The disk loader's IDE driver in the emulator against a simulated PIIX-style controller
(qbootcore.testing.ide): IDENTIFY, bus-master DMA with the buffer cut at 64 KiB
boundaries, a fixed number of port accesses per request, the boot from pc's -hda."""

import struct

import pytest

from qbootcore.build import Selection, build
from qbootcore.testing import Panic, PciFunction
from qbootcore.testing.ide import READ_DMA_EXT, WRITE_DMA_EXT, Ide
from tests.unit.test_disk_virtio import SECTORS, disk_machine, image

BLOCK = 0x10000


@pytest.fixture(scope="module")
def linked():
    """A pc ROM: PIIX's IDE sits behind the i440fx host bridge (a q35 ROM panicking on it
    would name the wrong machine, firmware/machine.asm)."""
    return build(Selection(board="pc", loaders=["linux", "disk"])).linked


def machine(linked, ide):
    return disk_machine(linked, [(0, 0, PciFunction(0x8086, 0x1237)),
                                 (1, 0, PciFunction(0x8086, 0x7000, class_code=0x060100)),
                                 (1, 1, ide)],
                        ecam=0)                               # no MMCONFIG: mechanism #1


def init(m):
    m.write(BLOCK, bytes(0x100))
    return m.call("ide_init", ebx=(1 << 3) | 1, edi=BLOCK)


def test_init_identifies_the_primary_master(linked):
    ide = Ide(image())
    m = machine(linked, ide)
    assert not init(m).regs["eflags"] & 1
    assert ide.bmide == 0xC000 and ide.config[0x04] & 0x5 == 0x5     # I/O + bus master
    assert struct.unpack("<Q", m.read(BLOCK + 8, 8))[0] == SECTORS


def test_no_drive(linked):
    m = machine(linked, Ide(None))
    assert init(m).regs["eflags"] & 1


@pytest.mark.parametrize("buffer,count", [(0x10_0000, 1), (0x1_FE00, 127), (0x5_0200, 255)])
def test_a_read_is_one_dma_with_a_fixed_number_of_accesses(linked, buffer, count):
    """0x1FE00 + 127 sectors crosses a 64 KiB boundary: two PRDs; 255 sectors: three."""
    ide = Ide(image())
    m = machine(linked, ide)
    init(m)
    r = m.call(m.u32(BLOCK), edi=BLOCK, eax=9, edx=0, ecx=count, esi=buffer, ebx=0)
    assert not r.regs["eflags"] & 1
    assert m.read(buffer, count * 512) == bytes(ide.disk[9 * 512:(9 + count) * 512])
    assert ide.requests[-1] == (READ_DMA_EXT, 9, count * 512)
    assert len(r.accesses) <= 20, len(r.accesses)


def test_write_and_errors(linked):
    ide = Ide(image())
    m = machine(linked, ide)
    init(m)
    m.write(0x20_0000, b"\x33" * 1024)
    assert not m.call(m.u32(BLOCK), edi=BLOCK, eax=70000 % SECTORS, edx=0, ecx=2,
                      esi=0x20_0000, ebx=1).regs["eflags"] & 1
    lba = 70000 % SECTORS
    assert ide.disk[lba * 512:(lba + 2) * 512] == b"\x33" * 1024
    assert ide.requests[-1] == (WRITE_DMA_EXT, lba, 1024)
    assert m.call(m.u32(BLOCK), edi=BLOCK, eax=SECTORS - 1, edx=0, ecx=2, esi=0x20_0000,
                  ebx=0).regs["eflags"] & 1
    assert m.call(m.u32(BLOCK), edi=BLOCK, eax=0, edx=0, ecx=256, esi=0x20_0000,
                  ebx=0).regs["eflags"] & 1                     # more than one request holds


def test_boot_from_ide(linked):
    ide = Ide(image())
    m = machine(linked, ide)
    enter = m.sym("bios16_enter_real_mode")
    assert m.call("disk_boot", stop_at=(enter,)).entered == enter
    assert m.read(0x7C00, 512) == bytes(ide.disk[:512])


def test_an_ide_disk_without_signature_is_named(linked):
    m = machine(linked, Ide(image(False)))
    with pytest.raises(Panic, match=r"ide 00:01\.1 \(no boot signature"):
        m.call("disk_boot", eax=0)
