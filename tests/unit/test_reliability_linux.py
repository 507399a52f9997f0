"""The Linux loader against kernels whose setup header says they cannot start as they are
(issue 16 item 4, issue 11 item 1), in the emulator with fw_cfg served as QEMU's
x86_load_linux does: each is entered the way it can be, or refused with one panic line
naming the reason and the fix; never a jump to an entry the kernel does not have."""

import struct

import pytest
from unicorn import x86_const as X

from qbootcore.build import Selection, build
from qbootcore.testing import FwCfg, Machine, Panic
from tests.unit.test_fw_linux import (CMDLINE_ADDR, INITRD_ADDR, KERNEL_ADDR, qemu_fw_cfg,
                                      setup_header)

SETUP_ADDR = 0x10000
STEPS = ("fw_cfg_init", "e820_init", "alloc_init", "core_reserve", "kernel_check")


def header(**fields):
    """setup_header() with fields changed: name -> (offset, format, value)."""
    page = bytearray(setup_header(**{k: fields.pop(k) for k in ("version", "loadflags",
                                                              "initrd_size") if k in fields}))
    for off, fmt, value in fields.values():
        struct.pack_into("<" + fmt, page, off, value)
    return bytes(page)


def fw_cfg(hdr, kernel=b"\x90" * 5000, cmdline=b"console=ttyS0\0", initrd=None,
           ram=64 << 20):
    """QEMU's items for a bzImage, including the address/size items real-mode loaders use."""
    fw = qemu_fw_cfg(hdr, kernel=kernel, cmdline=cmdline, initrd=initrd)
    fw.add_file("etc/e820", struct.pack("<QQI", 0, ram, 1))
    fw.add_u32(0x13, CMDLINE_ADDR)                             # FW_CFG_CMDLINE_ADDR
    fw.add_u32(0x16, SETUP_ADDR)                               # FW_CFG_SETUP_ADDR
    fw.add_u32(0x17, 0x1000)                                   # FW_CFG_SETUP_SIZE
    if initrd is not None:
        fw.add_u32(0x0A, INITRD_ADDR)
        fw.add_u32(0x0B, len(initrd))
    return fw


@pytest.fixture(scope="module")
def with_bios16():
    return build(Selection(board="q35", loaders=["linux"], plugins=["bios16"]))


def boot(linked, fw, cpu=None, stop=KERNEL_ADDR, steps=STEPS):
    m = Machine(linked, fw, cpu=cpu)
    for step in steps:
        m.call(step)
    return m, m.call("linux_probe", stop_at=(stop,))


NEEDS_REAL = [
    ("code32_start 0", dict(code32=(0x214, "I", 0))),
    ("protocol 2.01", dict(version=0x0201)),
    ("zImage", dict(loadflags=0)),
]
NEEDS_REAL_PANIC = ("qboot-fw: panic: linux: kernel has no 32-bit entry (code32_start 0, "
                    "protocol < 2.02 or a zImage); it needs real mode: build with --plugin bios16")


@pytest.mark.parametrize("case,fields", NEEDS_REAL, ids=[c[0] for c in NEEDS_REAL])
def test_without_bios16_a_kernel_that_needs_real_mode_is_refused(q35_linux, case, fields):
    with pytest.raises(Panic) as exc:
        boot(q35_linux.linked, fw_cfg(header(**fields)))
    assert str(exc.value) == NEEDS_REAL_PANIC


def test_with_bios16_code32_start_0_runs_the_real_mode_setup(with_bios16):
    """ipxe.lkrn's case: kernel, command line and initrd where QEMU's items say, the whole
    setup at FW_CFG_SETUP_ADDR, and the real-mode entry at (setup segment + 20h):0."""
    linked = with_bios16.linked
    initrd = bytes(range(256)) * 16
    fw = fw_cfg(header(code32=(0x214, "I", 0), initrd_size=len(initrd)), initrd=initrd)
    entry = linked.symbols["bios16_enter_real_mode"]
    m, r = boot(linked, fw, stop=entry, steps=STEPS[:4] + ("bios16_install",) + STEPS[4:])
    assert r.entered == entry
    assert m.read(KERNEL_ADDR, 5000) == b"\x90" * 5000
    assert m.read(CMDLINE_ADDR, 14) == b"console=ttyS0\0"
    assert m.read(INITRD_ADDR, len(initrd)) == initrd
    assert m.read(SETUP_ADDR + 0x202, 4) == b"HdrS"
    block = m.read(r.regs["esi"], 0x32)                  # RM_* (plugins/bios16/bios16.inc)
    ip, cs = struct.unpack_from("<HH", block, 0x28)
    ds, ss, sp = struct.unpack_from("<H", block, 0x06)[0], *struct.unpack_from("<HH", block, 0x2E)
    assert (cs, ip) == (SETUP_ADDR // 16 + 0x20, 0) and ds == ss == SETUP_ADDR // 16
    assert sp != 0


def test_the_32bit_path_is_unchanged_for_a_kernel_that_has_the_entry(with_bios16):
    m, r = boot(with_bios16.linked, fw_cfg(header()))
    assert r.entered == KERNEL_ADDR


def test_a_truncated_bzimage_is_refused(q35_linux):
    # syssize says 14 MB, QEMU loaded 5000 bytes (issue 16: a 44 KiB file)
    with pytest.raises(Panic, match=r"linux: truncated bzImage \(syssize\): copy it again"):
        boot(q35_linux.linked, fw_cfg(header(syssize=(0x1F4, "I", 14_000_000 // 16))))


def test_syssize_rounding_is_not_truncation(q35_linux):
    # iPXE's header: syssize * 16 is 7 bytes more than the file's protected-mode part
    m, r = boot(q35_linux.linked, fw_cfg(header(syssize=(0x1F4, "I", (4993 + 15) // 16)),
                                         kernel=b"\x90" * 4993))
    assert r.entered == KERNEL_ADDR


@pytest.mark.parametrize("fields,ram", [
    (dict(init=(0x260, "I", 100 << 20)), 96 << 20),           # 16 MiB + 100 MiB > 96 MiB
    (dict(reloc=(0x234, "B", 0), pref=(0x258, "I", 62 << 20)), 64 << 20),  # fixed address
])
def test_too_little_ram_for_init_size_is_refused(q35_linux, fields, ram):
    with pytest.raises(Panic, match=r"no room for init_size \(RAM, initrd\): give QEMU more -m"):
        boot(q35_linux.linked, fw_cfg(header(**fields), ram=ram))


def test_init_size_that_fits_boots(q35_linux):
    m, r = boot(q35_linux.linked, fw_cfg(header(init=(0x260, "I", 100 << 20)), ram=128 << 20))
    assert r.entered == KERNEL_ADDR


def test_an_initrd_over_the_kernels_decompression_area_is_refused(q35_linux):
    # runtime start = pref_address 4 MiB (relocatable, above the 1 MiB load address);
    # init_size 8 MiB reaches over the initrd at 8 MiB
    fields = dict(pref=(0x258, "I", 4 << 20), init=(0x260, "I", 8 << 20))
    with pytest.raises(Panic, match=r"no room for init_size \(RAM, initrd\)"):
        boot(q35_linux.linked, fw_cfg(header(initrd_size=16, **fields), initrd=bytes(16)))


@pytest.mark.parametrize("cpu,entered", [(X.UC_CPU_X86_QEMU64, True),
                                         (X.UC_CPU_X86_QEMU32, False)])
def test_a_64bit_kernel_needs_long_mode(q35_linux, cpu, entered):
    fw = fw_cfg(header(xlf=(0x236, "H", 1)))
    if entered:
        assert boot(q35_linux.linked, fw, cpu=cpu)[1].entered == KERNEL_ADDR
    else:
        with pytest.raises(Panic, match="64-bit kernel, CPU without long mode: use -cpu max"):
            boot(q35_linux.linked, fw, cpu=cpu)


def test_a_32bit_kernel_needs_no_long_mode(q35_linux):
    m, r = boot(q35_linux.linked, fw_cfg(header()), cpu=X.UC_CPU_X86_QEMU32)
    assert r.entered == KERNEL_ADDR


def test_a_command_line_longer_than_cmdline_size_is_cut_with_a_warning(q35_linux):
    line = b"console=ttyS0 " + b"x" * 40 + b"\0"
    m, r = boot(q35_linux.linked, fw_cfg(header(size=(0x238, "I", 20)), cmdline=line))
    assert r.entered == KERNEL_ADDR
    assert m.read(CMDLINE_ADDR, 22) == line[:20] + b"\0\0"
    assert m.debugcon.decode().strip() == ("qboot-fw: warning: linux: command line cut at "
                                           "cmdline_size")


def test_a_command_line_of_exactly_cmdline_size_is_kept(q35_linux):
    line = b"y" * 20 + b"\0"
    m, r = boot(q35_linux.linked, fw_cfg(header(size=(0x238, "I", 20)), cmdline=line))
    assert m.read(CMDLINE_ADDR, 21) == line and m.debugcon == b""


def test_checks_off_leaves_them_out():
    res = build(Selection(options={"linux": {"checks": "off"}}))
    m, r = boot(res.linked, fw_cfg(header(syssize=(0x1F4, "I", 14_000_000 // 16))))
    assert r.entered == KERNEL_ADDR
    assert "linux_checks" in [f["name"] for f in res.manifest["fragments"]]
    size = next(f["size"] for f in res.manifest["fragments"] if f["name"] == "linux_checks")
    assert size == 1                                                 # a ret
