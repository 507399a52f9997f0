"""The Linux loader and the core's kernel check, in the emulator against a simulated fw_cfg
that serves a bzImage the way QEMU's x86_load_linux does (boot.rst field offsets)."""

import struct

import pytest

from qbootcore.testing import FwCfg, Panic

KERNEL_ADDR, CMDLINE_ADDR, INITRD_ADDR = 0x100000, 0x20000, 0x800000
HDR_END = 0x268  # 0x202 + the jump offset below


def setup_header(version=0x020F, loadflags=0x01, initrd_size=0x3000):
    page = bytearray(b"\xAA" * 0x1000)                  # garbage outside the header
    page[0x1F1] = 27                                    # setup_sects
    page[0x200:0x202] = bytes([0xEB, HDR_END - 0x202])  # jump: ends the header
    page[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", page, 0x206, version)
    page[0x210] = 0xB0                                  # type_of_loader (QEMU)
    page[0x211] = loadflags
    struct.pack_into("<I", page, 0x214, 0x100000)
    struct.pack_into("<II", page, 0x218, INITRD_ADDR if initrd_size else 0, initrd_size)
    struct.pack_into("<I", page, 0x228, CMDLINE_ADDR)
    struct.pack_into("<I", page, 0x238, 2047)            # cmdline_size
    struct.pack_into("<I", page, 0x1F4, (5000 + 15) // 16)   # syssize: the kernel below
    struct.pack_into("<IB", page, 0x230, 0x200000, 1)   # kernel_alignment, relocatable
    page[0x236:0x238] = b"\0\0"                          # xloadflags: a 32-bit kernel
    struct.pack_into("<QI", page, 0x258, 0x1000000, 0x400000)  # pref_address, init_size
    return bytes(page[:0x1000])


def qemu_fw_cfg(header, kernel=b"\x90" * 5000, cmdline=b"console=ttyS0\0", initrd=None):
    fw = FwCfg()
    fw.add_file("etc/e820", struct.pack("<QQI", 0, 64 << 20, 1))
    fw.add_item(0x18, header + bytes(0x2000))           # FW_CFG_SETUP_DATA
    fw.add_u32(0x07, KERNEL_ADDR)
    fw.add_u32(0x08, len(kernel))
    fw.add_item(0x11, kernel)
    fw.add_u32(0x14, len(cmdline))
    fw.add_item(0x15, cmdline)
    if initrd is not None:
        fw.add_item(0x12, initrd)
    return fw


def boot(emu, fw):
    m = emu(fw)
    for step in ("fw_cfg_init", "e820_init", "alloc_init", "core_reserve", "kernel_check"):
        m.call(step)
    return m, m.call("linux_probe", stop_at=(KERNEL_ADDR,))


def test_enters_the_kernel_per_the_32bit_protocol(emu):
    initrd = bytes(range(256)) * 48
    m, r = boot(emu, qemu_fw_cfg(setup_header(initrd_size=len(initrd)), initrd=initrd))
    assert r.entered == KERNEL_ADDR
    zp = r.regs["esi"]
    assert zp == m.sym("linux_zero_page") and zp % 4096 == 0
    assert r.regs["ebx"] == r.regs["ebp"] == r.regs["edi"] == 0
    assert r.regs["eflags"] & 0x200 == 0                      # interrupts off
    page = m.read(zp, 0x1000)
    assert page[0x202:0x206] == b"HdrS" and page[0x210] == 0xB0
    # everything outside the setup header is zero, except what the loader filled in
    assert set(page[0x1EA:0x1F1]) == {0} and set(page[HDR_END:0x2D0]) == {0}
    assert page[0x1E8] == 4                                   # e820 entries
    e820 = [struct.unpack_from("<QQI", page, 0x2D0 + 20 * i) for i in range(4)]
    assert e820[0] == (0, 0x9F000, 1) and e820[-1][0] == 0x100000
    assert set(page[0x2D0 + 80:]) == {0}
    assert m.read(KERNEL_ADDR, 5000) == b"\x90" * 5000
    assert m.read(CMDLINE_ADDR, 2048) == b"console=ttyS0" + bytes(2048 - 13)
    assert m.read(INITRD_ADDR, len(initrd)) == initrd
    assert struct.unpack_from("<I", page, 0x214)[0] == KERNEL_ADDR   # code32_start


def test_device_accesses_of_a_linux_boot_are_few(emu):
    m, r = boot(emu, qemu_fw_cfg(setup_header(initrd_size=16), initrd=bytes(16)))
    # setup header, kernel address, kernel, command line (sized by cmdline_size), initrd
    assert len(r.accesses) == 5
    assert all(a.kind == "out" and a.address == 0x518 for a in r.accesses)


def test_not_a_bzimage_returns_to_try_the_next_loader(emu):
    fw = qemu_fw_cfg(setup_header())
    fw.add_item(0x18, b"")                                    # no setup: multiboot, PVH
    m, r = boot(emu, fw)
    assert r.entered is None


@pytest.mark.parametrize("header,reason", [
    (setup_header(version=0x0201), r"protocol < 2\.02.*--plugin bios16"),
    (setup_header(loadflags=0), "zImage.*--plugin bios16"),
])
def test_unsupported_kernels_are_refused_with_a_reason(emu, header, reason):
    with pytest.raises(Panic, match=reason):
        boot(emu, qemu_fw_cfg(header))


def test_no_kernel_panics_on_serial_and_debug_console(emu):
    fw = FwCfg()
    fw.add_file("etc/e820", struct.pack("<QQI", 0, 64 << 20, 1))
    m = emu(fw)
    m.call("fw_cfg_init")
    with pytest.raises(Panic, match="no kernel: start QEMU with -kernel"):
        m.call("kernel_check")
    assert b"with -kernel" in m.serial and b"with -kernel" in m.debugcon
