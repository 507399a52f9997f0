"""The disk loader's virtio-blk driver and boot in the emulator against a simulated modern
virtio-blk function (qbootcore.testing.virtio_blk): device set-up, one device access per
request of any size, the boot sector entered in real mode, and the message when nothing
boots."""

import struct

import pytest

from qbootcore.build import Selection, build
from qbootcore.testing import FwCfg, Machine, Panic, PciFunction, PciHost
from qbootcore.testing.virtio_blk import DEVICE_TRANSITIONAL, VirtioBlk

ECAM = 0xB000_0000
HOST_DESC = 0x1000           # where the test puts the board's PCI host description
BLOCK = 0x2000               # a drive block for the driver tests
SECTORS = 4096
EBDA_DISK = 0x500            # plugins/bios16/bios16.inc: the disk plugin's EBDA area


def image(boot_signature=True):
    disk = bytearray()
    for n in range(SECTORS):
        disk += struct.pack("<I", n) * 128
    if boot_signature:
        disk[510:512] = b"\x55\xaa"
    return disk


@pytest.fixture(scope="module")
def linked():
    return build(Selection(board="q35", loaders=["linux", "disk"])).linked


def disk_machine(linked, functions, ecam=ECAM, bootorder=None, cls=Machine):
    """A machine as the disk loader finds it (for the driver tests of every controller):
    64 MiB of RAM, a PCI host with ``functions`` ((device, function, PciFunction), the host
    bridge first) behind MMCONFIG at ``ecam`` (0: mechanism #1 only), described to the
    firmware as a board's chipset step does (board_pci_host), the simulated controllers
    among them (those with ``attach``) attached, and the core's boot-time steps and
    bios16_install run.  ``cls``: Machine, or BiosMachine for calls from real mode."""
    host = PciHost(ecam_base=ecam or None)
    for dev, fn, function in functions:
        host.add(dev, fn, function)
    controllers = [f for _, _, f in functions if hasattr(f, "attach")]
    fw = FwCfg()
    fw.add_file("etc/e820", struct.pack("<QQI", 0, 64 << 20, 1))
    if bootorder is not None:
        fw.add_file("bootorder", bootorder)
    m = cls(linked, fw, devices=(host, *controllers))
    for controller in controllers:
        controller.attach(m)
    m.write(HOST_DESC, struct.pack("<II", ecam, 0))
    m.write(m.sym("board_pci_host"), struct.pack("<I", HOST_DESC))
    for step in ("fw_cfg_init", "e820_init", "alloc_init", "core_reserve", "bios16_install"):
        m.call(step)
    return m


def machine(linked, *blks, slots=(3, 4), extra=(), bootorder=None):
    return disk_machine(linked, [(0, 0, PciFunction(0x8086, 0x29C0)),
                                 *((slot, 0, blk) for slot, blk in zip(slots, blks)),
                                 *((slot, 0, fn) for slot, fn in extra)],
                        bootorder=bootorder)


def init(m, blk, slot=3):
    m.write(BLOCK, bytes(0x100))
    return m.call("vblk_init", ebx=slot << 3, edi=BLOCK)


def test_init_brings_the_device_up_and_assigns_its_bar(linked):
    blk = VirtioBlk(image())
    m = machine(linked, blk)
    r = init(m, blk)
    assert not r.regs["eflags"] & 1
    assert blk.bar == 0xE000_0000 and blk.config[0x04] & 0x6 == 0x6   # memory + master
    assert blk.status == 0xF                     # ACK, DRIVER, FEATURES_OK, DRIVER_OK
    assert blk.driver_features == 1 << 32        # VIRTIO_F_VERSION_1 only
    assert blk.queue_size == 4 and blk.queue["enable"] == 1
    assert struct.unpack("<Q", m.read(BLOCK + 0x08, 8))[0] == SECTORS
    assert len(r.accesses) <= 50, len(r.accesses)


def test_a_bar_someone_assigned_is_kept(linked):
    blk = VirtioBlk(image())
    blk.bar = 0xE080_0000
    m = machine(linked, blk)
    assert not init(m, blk).regs["eflags"] & 1
    assert blk.bar == 0xE080_0000 and not any(w[0] == 0x20 for w in blk.writes)


@pytest.mark.parametrize("lba,count", [(0, 1), (7, 100), (SECTORS - 128, 128)])
def test_a_read_of_any_size_is_one_device_access(linked, lba, count):
    blk = VirtioBlk(image())
    m = machine(linked, blk)
    init(m, blk)
    r = m.call(m.u32(BLOCK), edi=BLOCK, eax=lba, edx=0, ecx=count, esi=0x10_0000, ebx=0)
    assert not r.regs["eflags"] & 1
    assert m.read(0x10_0000, count * 512) == bytes(blk.disk[lba * 512:(lba + count) * 512])
    assert blk.requests == [(0, lba, count * 512)]
    assert [a.kind for a in r.accesses] == ["mmio-write"]


def test_write_then_read_back(linked):
    blk = VirtioBlk(image())
    m = machine(linked, blk)
    init(m, blk)
    m.write(0x20_0000, b"\xAB" * 1024)
    rw = m.u32(BLOCK)
    assert not m.call(rw, edi=BLOCK, eax=9, edx=0, ecx=2, esi=0x20_0000, ebx=1).regs["eflags"] & 1
    assert blk.disk[9 * 512:11 * 512] == b"\xAB" * 1024
    assert blk.requests[-1] == (1, 9, 1024)


def test_a_request_past_the_end_fails(linked):
    blk = VirtioBlk(image())
    m = machine(linked, blk)
    init(m, blk)
    r = m.call(m.u32(BLOCK), edi=BLOCK, eax=SECTORS - 1, edx=0, ecx=2, esi=0x10_0000, ebx=0)
    assert r.regs["eflags"] & 1


def test_the_boot_sector_is_entered_in_real_mode_with_dl_80h(linked):
    blk = VirtioBlk(image())
    m = machine(linked, blk)
    enter = m.sym("bios16_enter_real_mode")
    r = m.call("disk_boot", stop_at=(enter,))
    assert r.entered == enter
    block = m.read(r.regs["esi"], 0x32)
    assert struct.unpack_from("<H", block, 0x28)[0] == 0x7C00          # IP
    assert struct.unpack_from("<H", block, 0x2A)[0] == 0                # CS
    assert struct.unpack_from("<I", block, 0x1C)[0] == 0x80             # EDX: DL = 80h
    assert struct.unpack_from("<HH", block, 0x2E) == (0, 0x7C00)        # SS:SP
    assert m.read(0x7C00, 512) == bytes(blk.disk[:512])
    assert m.read(0x475, 1) == b"\x01"                                  # BDA: one fixed disk
    ebda = struct.unpack("<H", m.read(0x40E, 2))[0] << 4
    drive = m.u32(ebda + EBDA_DISK)                                     # drive 80h
    assert struct.unpack("<Q", m.read(drive + 8, 8))[0] == SECTORS
    assert blk.requests == [(0, 0, 512)]


def test_the_first_disk_with_a_boot_signature_boots(linked):
    first, second = VirtioBlk(image(False)), VirtioBlk(image(), device=DEVICE_TRANSITIONAL)
    m = machine(linked, first, second)
    enter = m.sym("bios16_enter_real_mode")
    assert m.call("disk_boot", stop_at=(enter,)).entered == enter
    assert first.requests == second.requests == [(0, 0, 512)]
    assert first.bar != second.bar


def test_no_bootable_disk_says_what_was_tried(linked):
    m = machine(linked, VirtioBlk(image(False)))
    with pytest.raises(Panic) as exc:
        m.call("disk_boot", eax=0)
    message = str(exc.value)
    assert "no -kernel, and no disk boots" in message
    assert "virtio-blk 00:03.0 (no boot signature 55AAh in sector 0)" in message
    assert b"virtio-blk 00:03.0" in m.serial


def test_no_disk_at_all_says_so(linked):
    m = machine(linked, extra=((5, PciFunction(0x8086, 0x10D3)),))
    with pytest.raises(Panic, match="tried: nothing"):
        m.call("disk_boot", eax=0)


def test_kernel_check_without_kernel_hands_over_to_the_disk_loader(linked):
    m = machine(linked, VirtioBlk(image(False)))
    with pytest.raises(Panic, match="no disk boots"):
        m.call("kernel_check")


@pytest.mark.parametrize("bootorder", [
    b"/pci@i0cf8/scsi@4/disk@0,0\n/pci@i0cf8/scsi@3/disk@0,0\x00",
    # QEMU's form for a function number, and lines to skip: behind a bridge, another device
    b"/pci@i0cf8/pci-bridge@7/scsi@0/disk@0,0\n/rom@genroms/x.bin\n/pci@i0cf8/scsi@4,0/disk@0,0",
    # q35's AHCI is named by its IDs (a comma in the name); absent here, so skipped
    b"/pci@i0cf8/pci8086,2922@1f,2/drive@0/disk@0\n/pci@i0cf8/scsi@4/disk@0,0\n",
])
def test_bootorder_comes_before_the_bus_order(linked, bootorder):
    first, second = VirtioBlk(image()), VirtioBlk(image())
    m = machine(linked, first, second, bootorder=bootorder)
    enter = m.sym("bios16_enter_real_mode")
    assert m.call("disk_boot", stop_at=(enter,)).entered == enter
    assert first.requests == [] and second.requests == [(0, 0, 512)]


def test_a_disk_bootorder_named_is_not_tried_twice(linked):
    m = machine(linked, VirtioBlk(image(False)), VirtioBlk(image(False)),
                bootorder=b"/pci@i0cf8/scsi@4/disk@0,0\n")
    with pytest.raises(Panic) as exc:
        m.call("disk_boot", eax=0)
    assert ("tried: virtio-blk 00:04.0 (no boot signature 55AAh in sector 0), "
            "virtio-blk 00:03.0 (no boot signature 55AAh in sector 0).") in str(exc.value)


def test_a_legacy_only_device_is_driven_through_its_io_bar(linked):
    blk = VirtioBlk(image(), legacy_only=True)
    m = machine(linked, blk)
    enter = m.sym("bios16_enter_real_mode")
    assert m.call("disk_boot", stop_at=(enter,)).entered == enter
    assert blk.io_bar & 0xFFFC == 0xC000 and blk.status == 0x7    # ACK, DRIVER, DRIVER_OK
    assert blk.queue["desc"] & 0xFFF == 0 and blk.queue_size == 256
    assert m.read(0x7C00, 512) == bytes(blk.disk[:512])
    ebda = struct.unpack("<H", m.read(0x40E, 2))[0] << 4
    drive = m.u32(ebda + EBDA_DISK)
    assert struct.unpack("<Q", m.read(drive + 8, 8))[0] == SECTORS
    r = m.call(m.u32(drive), edi=drive, eax=40, edx=0, ecx=100, esi=0x10_0000, ebx=0)
    assert not r.regs["eflags"] & 1
    assert m.read(0x10_0000, 100 * 512) == bytes(blk.disk[40 * 512:140 * 512])
    assert [a.kind for a in r.accesses] == ["out"]                 # one notify per request


class Cmos:
    """The RTC's CMOS with QEMU's -boot order= codes (hw/i386/pc.c, set_boot_dev)."""

    def __init__(self, memory):
        self.index, self.memory = 0, memory

    def port_read(self, port, size):
        return self.memory.get(self.index, 0) if port == 0x71 else None

    def port_write(self, port, size, value):
        if port == 0x70:
            self.index = value & 0x7F
            return True
        return False


@pytest.mark.parametrize("order, cmos, skipped", [
    ("dc", {0x3D: 0x23}, True),
    ("adc", {0x3D: 0x31, 0x38: 0x20}, True),
    ("cad", {0x3D: 0x12, 0x38: 0x30}, False),     # QEMU's default: after the disk
    ("cn", {0x3D: 0x42}, False),
])
def test_the_message_says_floppy_and_cdrom_were_skipped(linked, order, cmos, skipped):
    """-boot order= with a or d before c: no loader drives them; the final message says so."""
    m = machine(linked, VirtioBlk(image(False)))
    m.devices = (*m.devices, Cmos(cmos))
    with pytest.raises(Panic) as exc:
        m.call("disk_boot", eax=0)
    message = str(exc.value)
    assert "virtio-blk 00:03.0 (no boot signature 55AAh in sector 0)" in message
    assert ("-boot order= a (floppy) and d (CD-ROM) skipped" in message) == skipped, message
