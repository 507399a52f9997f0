"""The disk loader's AHCI driver in the emulator against a simulated ICH9-style controller
(qbootcore.testing.ahci): the first ATA port (an ATAPI drive before it is skipped), the
capacity from IDENTIFY, one device access per request, the boot from q35's -hda."""

import struct

import pytest

from qbootcore.testing import Panic, PciFunction
from qbootcore.testing.ahci import READ_DMA_EXT, WRITE_DMA_EXT, Ahci
from tests.unit.test_disk_virtio import SECTORS, disk_machine, image, linked  # noqa: F401

BLOCK = 0x10000              # 1 KiB aligned


def machine(linked, ahci):  # noqa: F811
    return disk_machine(linked, [(0, 0, PciFunction(0x8086, 0x29C0)),
                                 (0x1F, 0, PciFunction(0x8086, 0x2918, class_code=0x060100)),
                                 (0x1F, 2, ahci)])


def init(m):
    m.write(BLOCK, bytes(0x420))
    return m.call("ahci_init", ebx=(0x1F << 3) | 2, edi=BLOCK)


def test_init_finds_the_disk_behind_an_atapi_drive(linked):
    ahci = Ahci({0: None, 2: image()})
    m = machine(linked, ahci)
    r = init(m)
    assert not r.regs["eflags"] & 1
    assert ahci.bar == 0xE000_0000 and ahci.ghc & 0x80000000
    assert ahci.ports[0]["cmd"] == 0 and ahci.ports[2]["cmd"] == 0x11   # FRE | ST on port 2
    assert struct.unpack("<Q", m.read(BLOCK + 8, 8))[0] == SECTORS
    assert len(r.accesses) <= 40, len(r.accesses)


def test_no_disk_on_any_port(linked):
    m = machine(linked, Ahci({0: None}))
    assert init(m).regs["eflags"] & 1


@pytest.mark.parametrize("lba,count", [(0, 1), (3, 127), (SECTORS - 8, 8)])
def test_a_read_is_one_device_access(linked, lba, count):
    ahci = Ahci({0: image()})
    m = machine(linked, ahci)
    init(m)
    r = m.call(m.u32(BLOCK), edi=BLOCK, eax=lba, edx=0, ecx=count, esi=0x10_0000, ebx=0)
    assert not r.regs["eflags"] & 1
    assert m.read(0x10_0000, count * 512) == bytes(ahci.disks[0][lba * 512:(lba + count) * 512])
    assert ahci.requests[-1] == (READ_DMA_EXT, lba, count * 512)
    assert [a.kind for a in r.accesses] == ["mmio-write"]


def test_write_and_an_error(linked):
    ahci = Ahci({0: image()})
    m = machine(linked, ahci)
    init(m)
    m.write(0x20_0000, b"\x77" * 512)
    assert not m.call(m.u32(BLOCK), edi=BLOCK, eax=5, edx=0, ecx=1, esi=0x20_0000,
                      ebx=1).regs["eflags"] & 1
    assert ahci.disks[0][5 * 512:6 * 512] == b"\x77" * 512
    assert ahci.requests[-1] == (WRITE_DMA_EXT, 5, 512)
    assert m.call(m.u32(BLOCK), edi=BLOCK, eax=SECTORS, edx=0, ecx=1, esi=0x20_0000,
                  ebx=0).regs["eflags"] & 1


def test_boot_from_ahci(linked):
    ahci = Ahci({0: image()})
    m = machine(linked, ahci)
    enter = m.sym("bios16_enter_real_mode")
    assert m.call("disk_boot", stop_at=(enter,)).entered == enter
    assert m.read(0x7C00, 512) == bytes(ahci.disks[0][:512])


def test_an_ahci_disk_without_signature_is_named(linked):
    m = machine(linked, Ahci({0: image(False)}))
    with pytest.raises(Panic, match=r"ahci 00:1f\.2 \(no boot signature"):
        m.call("disk_boot", eax=0)
