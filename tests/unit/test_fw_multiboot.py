"""The multiboot loader in the emulator, against a simulated fw_cfg that serves a kernel the
way QEMU's hw/i386/multiboot.c does: the image (with modules and command lines appended) at
its load address, multiboot_info as the "initrd" at 0x9500, its memory map's room at 0x9000.
Where the information goes when the image is linked low (issue 11, item 4)."""

import struct

import pytest

from qbootcore.build import Selection, build
from qbootcore.testing import FwCfg, Machine, Panic

MBI_ADDR, MMAP_ROOM = 0x9500, 0x500
ENTRY_OFFSET = 0x40


@pytest.fixture(scope="module")
def rom():
    return build(Selection(board="q35", loaders=["multiboot"]))


def mbi_blob():
    blob = bytearray(0x58)
    struct.pack_into("<I", blob, 0, 0x0000_0200)           # flags: boot loader name
    struct.pack_into("<I", blob, 48, MBI_ADDR - MMAP_ROOM)   # mmap_addr, as QEMU sets it
    return bytes(blob)


def boot(rom, load, size, ram=64 << 20, high_zone=None):
    fw = FwCfg()
    fw.add_file("etc/e820", struct.pack("<QQI", 0, ram, 1))
    fw.add_file("genroms/multiboot_dma.bin", b"\0" * 512)
    image = bytes((i * 7) & 0xFF for i in range(size))
    fw.add_u32(0x07, load)
    fw.add_u32(0x08, size)
    fw.add_u32(0x10, load + ENTRY_OFFSET)
    fw.add_item(0x11, image)
    fw.add_u32(0x0A, MBI_ADDR)
    fw.add_u32(0x0B, len(mbi_blob()))
    fw.add_item(0x12, mbi_blob())
    m = Machine(rom.linked, fw)
    if high_zone:                                           # a board's placement (chipset)
        m.call("alloc_place_high", eax=high_zone[0], edx=high_zone[1])
    for step in ("fw_cfg_init", "e820_init", "alloc_init", "core_reserve", "kernel_check"):
        m.call(step)
    r = m.call("multiboot_probe", stop_at=(load + ENTRY_OFFSET,))
    return m, r, image


def test_info_stays_where_qemu_put_it_for_a_kernel_at_1_mib(rom):
    m, r, image = boot(rom, 0x100000, 0x3000)
    assert r.regs["eax"] == 0x2BADB002 and r.regs["ebx"] == MBI_ADDR
    assert m.u32(MBI_ADDR + 48) == MBI_ADDR - MMAP_ROOM
    assert m.read(0x100000, len(image)) == image


def test_info_moves_off_a_kernel_linked_at_0x8000(rom):
    """kvm-unit-tests' realmode.flat: linked at 0x8000, code up to 0xA1FA."""
    m, r, image = boot(rom, 0x8000, 0x2200)
    mbi = r.regs["ebx"]
    mmap, length = m.u32(mbi + 48), m.u32(mbi + 44)
    assert m.read(0x8000, len(image)) == image                 # the image is intact
    for start, end in ((mbi, mbi + 0x58), (mmap, mmap + MMAP_ROOM)):
        assert end <= 0x8000 or start >= 0x8000 + len(image)
    assert mmap == mbi - MMAP_ROOM and length and length % 24 == 0
    assert m.u32(mbi) & 0x41 == 0x41                           # memory fields and map
    # the map is the e820 map, and it says where the information is (reserved at handoff)
    entries = [struct.unpack_from("<IQQI", m.read(mmap + i, 24)) for i in range(0, length, 24)]
    assert any(base <= mmap and mbi + 0x58 <= base + size and kind == 2
               for _, base, size, kind in entries)


def test_no_room_is_refused(rom):
    """A board whose table zone lies inside the image too: nowhere for the information."""
    with pytest.raises(Panic, match="no room for the boot information"):
        boot(rom, 0x8000, 0x4000, high_zone=(0x9800, 0xA000))
