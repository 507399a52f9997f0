"""INT 13h's 32-bit side (disk_int13_pm) in the emulator on a simulated virtio-blk disk:
every function called with the register frame the real-mode handler leaves on the caller's
stack (int13.inc F13_*), as GRUB, Linux's setup code and DOS-era boot sectors call them."""

import struct

import pytest

from qbootcore.testing.virtio_blk import VirtioBlk
from tests.unit.test_disk_virtio import BLOCK, EBDA_DISK, SECTORS, image, init, linked, machine  # noqa: F401

FRAME = 0x7000               # the caller's stack, where disk_int13 leaves the frame
CF = 1
GPRS = ("edi", "esi", "ebp", "esp", "ebx", "edx", "ecx", "eax")


class Int13:
    def __init__(self, m, blk):
        self.m, self.blk = m, blk
        ebda = struct.unpack("<H", m.read(0x40E, 2))[0] << 4
        m.write(ebda + EBDA_DISK, struct.pack("<I", BLOCK))
        m.write(0x475, b"\x01")

    def __call__(self, ax, bx=0, cx=0, dx=0x80, si=0, di=0, ds=0, es=0, flags=0x202):
        regs = dict(eax=ax, ebx=bx, ecx=cx, edx=dx, esi=si, edi=di, ebp=0, esp=0)
        frame = struct.pack("<8I", *(regs[n] for n in GPRS)) + struct.pack("<HHHHH", es, ds,
                                                                            0x7C50, 0, flags)
        self.m.write(FRAME, frame)
        self.m.call("disk_int13_pm", ebx=FRAME)
        out = dict(zip(GPRS, struct.unpack("<8I", self.m.read(FRAME, 32))))
        out["es"], out["ds"], _, _, out["flags"] = struct.unpack("<5H", self.m.read(FRAME + 32, 10))
        out["ah"] = (out["eax"] >> 8) & 0xFF
        out["cf"] = bool(out["flags"] & CF)
        return out


@pytest.fixture
def disk(linked):  # noqa: F811
    blk = VirtioBlk(image())
    m = machine(linked, blk)
    init(m, blk)
    return Int13(m, blk)


def dap(m, at, count, lba, seg=0, off=0, flat=None):
    if flat is None:
        m.write(at, struct.pack("<BBHHHQ", 0x10, 0, count, off, seg, lba))
    else:
        m.write(at, struct.pack("<BBHIQQ", 0x18, 0, count, 0xFFFFFFFF, lba, flat))


def test_extensions_check(disk):
    r = disk(ax=0x4100, bx=0x55AA)
    assert not r["cf"] and r["ah"] == 0x30 and r["ebx"] & 0xFFFF == 0xAA55
    assert r["ecx"] & 0xFFFF == 0x0005
    assert disk(ax=0x4100, bx=0x1234)["cf"]


def test_extended_read_is_one_request(disk):
    dap(disk.m, 0x600, 64, 100, seg=0x1000, off=0x20)
    r = disk(ax=0x4200, si=0x600)
    assert not r["cf"] and r["ah"] == 0
    assert disk.m.read(0x10020, 64 * 512) == bytes(disk.blk.disk[100 * 512:164 * 512])
    assert disk.blk.requests[-1] == (0, 100, 64 * 512)


def test_extended_read_to_a_flat_buffer_above_1mib(disk):
    dap(disk.m, 0x600, 3, 5, flat=0x30_0000)
    assert not disk(ax=0x4200, si=0x600)["cf"]
    assert disk.m.read(0x30_0000, 3 * 512) == bytes(disk.blk.disk[5 * 512:8 * 512])


def test_extended_write(disk):
    disk.m.write(0x20000, b"\x5A" * 512)
    dap(disk.m, 0x600, 1, 42, seg=0x2000)
    assert not disk(ax=0x4300, si=0x600)["cf"]
    assert disk.blk.disk[42 * 512:43 * 512] == b"\x5A" * 512


def test_extended_read_past_the_end_fails_and_reports_no_blocks(disk):
    dap(disk.m, 0x600, 2, SECTORS - 1, seg=0x1000)
    before = len(disk.blk.requests)
    r = disk(ax=0x4200, si=0x600)
    assert r["cf"] and r["ah"] == 0x04
    assert struct.unpack("<H", disk.m.read(0x602, 2))[0] == 0
    assert len(disk.blk.requests) == before          # refused before the device is asked
    r = disk(ax=0x0100)                               # AH=01h: the last status
    assert r["cf"] and r["ah"] == 0x04


def test_drive_parameters_edd(disk):
    disk.m.write(0x600, struct.pack("<H", 0x1E) + bytes(0x1C))
    assert not disk(ax=0x4800, si=0x600)["cf"]
    size, flags, cyl, heads, spt, sectors, bps, dpte = struct.unpack(
        "<HHIIIQHI", disk.m.read(0x600, 0x1E))
    assert (size, sectors, bps, dpte) == (0x1E, SECTORS, 512, 0xFFFFFFFF)
    assert (heads, spt) == (16, 63) and cyl == SECTORS // (16 * 63) and flags & 2
    disk.m.write(0x600, struct.pack("<H", 0x10))
    assert disk(ax=0x4800, si=0x600)["cf"]         # too small for any table


def test_get_parameters_and_chs_read(disk):
    r = disk(ax=0x0800)
    assert not r["cf"]
    cl, ch = r["ecx"] & 0xFF, (r["ecx"] >> 8) & 0xFF
    dh, dl = (r["edx"] >> 8) & 0xFF, r["edx"] & 0xFF
    cylinders = (ch | (cl & 0xC0) << 2) + 1
    assert (cl & 0x3F, dh + 1, dl, cylinders) == (63, 16, 1, SECTORS // (16 * 63))
    # cylinder 2, head 3, sector 4 -> LBA (2 * 16 + 3) * 63 + 3
    lba = (2 * 16 + 3) * 63 + 3
    r = disk(ax=0x0202, bx=0x100, cx=(2 << 8) | 4, dx=(3 << 8) | 0x80, es=0x3000)
    assert not r["cf"] and r["eax"] & 0xFF == 2
    assert disk.m.read(0x30100, 1024) == bytes(disk.blk.disk[lba * 512:(lba + 2) * 512])


def test_chs_sector_zero_or_head_out_of_range_is_not_found(disk):
    assert disk(ax=0x0201, cx=0x0000, es=0x3000)["ah"] == 0x04
    assert disk(ax=0x0201, cx=0x0001, dx=0x1080, es=0x3000)["cf"]


def test_verify_moves_nothing(disk):
    before = len(disk.blk.requests)
    assert not disk(ax=0x0401, cx=0x0001)["cf"]
    assert len(disk.blk.requests) == before


def test_disk_type_and_reset(disk):
    r = disk(ax=0x1500)
    assert not r["cf"] and r["ah"] == 3
    assert ((r["ecx"] & 0xFFFF) << 16 | (r["edx"] & 0xFFFF)) == SECTORS
    r = disk(ax=0x0000)
    assert not r["cf"] and r["ah"] == 0


@pytest.mark.parametrize("dl", [0x00, 0x81, 0xE0])
def test_drives_that_are_not_there(disk, dl):
    r = disk(ax=0x0800, dx=dl)
    assert r["cf"] and r["ah"] == 0x01


def test_unknown_function(disk):
    r = disk(ax=0x4E00)
    assert r["cf"] and r["ah"] == 0x01
