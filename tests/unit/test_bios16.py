"""The 16-bit BIOS services (plugins/bios16) in the emulator: each service is called the way
a real-mode program calls it, with `int n` through the IVT the firmware installed, and
BIOS32/PCI BIOS with a far call from 32-bit protected mode (qbootcore/testing/realmode.py)."""

import struct

import pytest

from qbootcore.layout import REGIONS

from qbootcore.build import Selection, build
from qbootcore.testing import FwCfg, Panic
from qbootcore.testing.realmode import BiosMachine, CpuException, PciConfigSpace

RAM, RESERVED, ACPI = 1, 2, 3
MiB, GiB = 1 << 20, 1 << 30
SMAP = 0x534D4150
FSEG, F000 = 0xF0000, 0xF000
BUF_SEG, BUF_OFF = 0x2000, 0x0010           # the caller's E820 buffer, ES:DI
# QEMU's etc/e820 for -m 3G on q35: RAM below 2 GiB and above 4 GiB, and a reserved range
QEMU_MAP = [(0, 2 * GiB, RAM), (0xFEFFC000, 0x4000, RESERVED), (4 * GiB, GiB, RAM)]


@pytest.fixture(scope="module")
def rom():
    return build(Selection(board="q35", loaders=["linux"], plugins=["bios16"]))


def e820_file(entries):
    return b"".join(struct.pack("<QQI", *e) for e in entries)


def firmware_map(m):
    n = m.u32(m.sym("e820_count"))
    return [struct.unpack("<QQI", m.read(m.sym("e820_map") + 20 * i, 20)) for i in range(n)]


@pytest.fixture
def machine(rom):
    """machine(entries, pci=None): the boot up to the handoff, as a loader sees it: the
    F-segment RAM starts empty and holds only what the board's shadowing puts there (the
    ROM's fseg and reset regions, copied from the high alias)."""
    def make(entries=QEMU_MAP, pci=None, handoff=True):
        fw = FwCfg()
        fw.add_file("etc/e820", e820_file(entries))
        m = BiosMachine(rom.linked, fw, pci=pci)
        m.write(FSEG, bytes(0x10000))
        m.write(REGIONS["fseg"].address(REGIONS["fseg"].start), rom.rom[REGIONS["fseg"].start:])
        for step in ("fw_cfg_init", "e820_init", "alloc_init", "core_reserve"):
            m.call(step)
        m.call("bios16_install")
        if handoff:
            m.call("alloc_reserve")
            m.call("bios16_e820_sync")
        return m
    return make


def e820_loop(m, size=20, limit=64):
    """What a real-mode program gets from the E820h loop (ACPI 6.5, 15.6)."""
    out, ebx = [], 0
    for _ in range(limit):
        r = m.int_(0x15, eax=0xE820, edx=SMAP, ebx=ebx, ecx=size, es=BUF_SEG, edi=BUF_OFF)
        assert not r.cf and r.regs["eax"] == SMAP, r.regs
        assert r.regs["ecx"] == (24 if size >= 24 else 20)
        assert r.reg16("edi") == BUF_OFF and r.segs["es"] == BUF_SEG
        raw = m.read(BUF_SEG * 16 + BUF_OFF, r.regs["ecx"])
        out.append(struct.unpack_from("<QQI", raw))
        if size >= 24:
            assert struct.unpack_from("<I", raw, 20)[0] == 1     # extended attributes: enabled
        ebx = r.regs["ebx"]
        if ebx == 0:
            return out
    raise AssertionError("E820h never returned EBX = 0")


def test_e820_returns_exactly_the_firmware_map(machine):
    m = machine()
    expect = firmware_map(m)
    assert len(expect) >= 6 and expect[-1] == (4 * GiB, GiB, RAM)
    assert (0x9F000, 0x1000, RESERVED) in expect                # the EBDA (core_reserve)
    assert e820_loop(m) == expect
    assert e820_loop(m, size=24) == expect
    assert e820_loop(m, size=4096) == expect                    # larger buffers get 24 bytes


def test_e820_is_the_map_after_the_handoff(machine):
    m = machine(handoff=False)
    m.call("alloc_high", ecx=0x3000, edx=16)                    # a table after bios16_install
    m.call("alloc_reserve")
    m.call("bios16_e820_sync")
    assert e820_loop(m) == firmware_map(m)


@pytest.mark.parametrize("regs", [
    dict(edx=0x534D4151, ebx=0, ecx=20),        # wrong signature
    dict(edx=SMAP, ebx=0, ecx=16),              # buffer too small
    dict(edx=SMAP, ebx=99, ecx=20),             # no such continuation
    dict(edx=SMAP, ebx=0x10000, ecx=20),
])
def test_e820_errors_are_cf_with_ah_86(machine, regs):
    m = machine()
    r = m.int_(0x15, eax=0xE820, es=BUF_SEG, edi=BUF_OFF, **regs)
    assert r.cf and (r.regs["eax"] >> 8) & 0xFF == 0x86


def contiguous_kb(entries):
    """KiB of RAM contiguous from 1 MiB in a sorted map (what E801h/88h describe)."""
    end = MiB
    for base, size, kind in sorted(entries):
        if base > end:
            break
        if kind == RAM and base + size > end:
            end = base + size
    return (end - MiB) >> 10


@pytest.mark.parametrize("entries", [
    QEMU_MAP,
    [(0, 8 * MiB, RAM)],
    [(0, 0x9F000, RAM), (MiB, 9 * MiB, RAM), (10 * MiB, 0x10000, ACPI),
     (10 * MiB + 0x10000, 500 * MiB, RAM)],                      # ACPI below 16 MiB stops it
    [(0, 0x9F000, RAM), (MiB, 40 * MiB, RAM), (41 * MiB, 100 * MiB, RAM)],  # adjacent RAM
])
def test_e801_and_88_agree_with_e820(machine, entries):
    m = machine(entries)
    kb = contiguous_kb(firmware_map(m))
    r = m.int_(0x15, eax=0xE801)
    assert not r.cf
    low, high = min(kb, 15 * 1024), max(0, (kb - 15 * 1024) * 1024 >> 16)
    assert (r.reg16("eax"), r.reg16("ebx")) == (low, high)
    assert (r.reg16("ecx"), r.reg16("edx")) == (low, high)
    # the RAM E801h describes is RAM in E820h
    assert MiB + (low << 10) + (high << 16) <= MiB + (kb << 10)
    r = m.int_(0x15, eax=0x8800)
    assert not r.cf and r.reg16("eax") == min(kb, 0xFFFF)


def test_other_int15_functions_are_unsupported(machine):
    m = machine()
    for ax in (0xEC00, 0x5300, 0x4F00, 0x8300, 0x2404, 0xC100):
        r = m.int_(0x15, eax=ax, ebx=0x1234)
        assert r.cf and r.reg16("eax") >> 8 == 0x86 and r.regs["ebx"] == 0x1234, hex(ax)


def test_int12_base_memory(machine):
    m = machine()
    r = m.int_(0x12, eax=0xFFFF)
    assert r.reg16("eax") == 636


def test_bda_and_ebda(machine):
    m = machine()
    com1, = struct.unpack("<H", m.read(0x400, 2))
    ebda, = struct.unpack("<H", m.read(0x40E, 2))
    base_kb, = struct.unpack("<H", m.read(0x413, 2))
    assert (com1, ebda, base_kb) == (0x3F8, 0x9F00, 636)
    assert m.read(0x9F000, 1) == b"\x04"                       # EBDA size, KiB


def test_int10_teletype_reaches_the_serial_port(machine):
    m = machine()
    for ch in b"Hi!\r\n":
        r = m.int_(0x10, eax=0x0E00 | ch, ebx=0x0007)
        assert r.reg16("eax") == 0x0E00 | ch
    assert bytes(m.serial) == b"Hi!\r\n"
    # functions without a screen to act on: harmless, registers unchanged, nothing printed
    for ax in (0x0003, 0x0200, 0x0920, 0x1200, 0x4F00, 0x1A00):
        r = m.int_(0x10, eax=ax, ebx=0x1234, ecx=0x5678, edx=0x9ABC)
        assert (r.regs["eax"], r.regs["ebx"], r.regs["ecx"], r.regs["edx"]) == \
            (ax, 0x1234, 0x5678, 0x9ABC), hex(ax)
    assert bytes(m.serial) == b"Hi!\r\n"


def test_int13_has_no_disks(machine):
    m = machine()
    r = m.int_(0x13, eax=0x4100, ebx=0x55AA, edx=0x80)
    assert r.cf and r.reg16("eax") >> 8 == 0x01 and r.reg16("ebx") == 0x55AA


def test_every_vector_has_a_handler_in_the_f_segment(machine, rom):
    m = machine()
    fseg = rom.manifest["regions"]["fseg"]
    for vector in range(256):
        off, seg = struct.unpack("<HH", m.read(vector * 4, 4))
        assert seg == F000 and fseg["start"] <= FSEG + off < fseg["start"] + fseg["used"]


@pytest.mark.parametrize("vector", [0x11, 0x14, 0x17, 0x1B, 0x4A, 0x60, 0xFF])
def test_unknown_services_return_cf_set_and_nothing_else(machine, vector):
    m = machine()
    regs = dict(eax=0x1234_5678, ebx=0x9ABC_DEF0, ecx=0x1111_2222, edx=0x3333_4444,
                esi=0x5555_6666, edi=0x7777_8888, ebp=0x9999_AAAA)
    r = m.int_(vector, ds=0x1000, es=0x2000, eflags=0x2 | 0x40 | 0x80, **regs)
    assert r.cf
    assert r.regs["eflags"] & 0xC0 == 0xC0                      # ZF and SF kept
    assert {k: r.regs[k] for k in regs} == regs
    assert (r.segs["ds"], r.segs["es"]) == (0x1000, 0x2000)
    assert r.reg16("esp") == BiosMachine.STACK_TOP


@pytest.mark.parametrize("vector,eois", [(0x09, [0x20]), (0x0F, [0x20]),
                                         (0x70, [0xA0, 0x20]), (0x77, [0xA0, 0x20])])
def test_hardware_irqs_end_the_interrupt_and_keep_flags(machine, vector, eois):
    m = machine()
    r = m.int_(vector, eax=0xAAAA, eflags=0x2)
    assert not r.cf and r.reg16("eax") == 0xAAAA
    assert [(a.address, a.value) for a in r.accesses] == [(port, 0x20) for port in eois]


def test_nmi_vector_is_a_plain_iret(machine):
    m = machine()
    r = m.int_(0x02, eax=0x1234, eflags=0x2 | 0x1)
    assert r.cf and r.regs["eax"] == 0x1234 and not r.accesses


def test_install_touches_no_device(rom):
    fw = FwCfg()
    fw.add_file("etc/e820", e820_file(QEMU_MAP))
    m = BiosMachine(rom.linked, fw)
    for step in ("fw_cfg_init", "e820_init", "alloc_init", "core_reserve"):
        m.call(step)
    r = m.call("bios16_install")
    assert r.accesses == []
    # the 16-bit code is in the F-segment's RAM, as in the ROM
    start = rom.manifest["regions"]["fseg"]["start"]
    assert m.read(start, 0x2000) == rom.rom[start - FSEG:start - FSEG + 0x2000]


# -- BIOS32 service directory and PCI BIOS -------------------------------------------------

def bios16_bios32_directory(m):
    data = m.read(0xE0000, 0x20000)
    hits = [i for i in range(0, len(data), 16) if data[i:i + 4] == b"_32_"]
    assert len(hits) == 1
    header = data[hits[0]:hits[0] + 16]
    assert sum(header) & 0xFF == 0 and header[8] == 0 and header[9] == 1
    return struct.unpack_from("<I", header, 4)[0]


@pytest.fixture
def pci():
    space = PciConfigSpace()
    host = space.add(0x0000, 0x8086, 0x29C0)                    # 00:00.0 q35 host bridge
    host[0x60:0x64] = bytes([1, 2, 3, 4])
    space.add(0x0010 | 0x1, 0x1AF4, 0x1000)                     # 00:02.1
    space.add(0x0100, 0x1B36, 0x0001)                           # 01:00.0
    return space


@pytest.fixture
def pcibios(machine, pci):
    m = machine(pci=pci)
    entry = bios16_bios32_directory(m)
    r = m.far_call32(entry, eax=0x49435024, ebx=0)              # "$PCI"
    assert r.regs["eax"] & 0xFF == 0
    base, length, offset = r.regs["ebx"], r.regs["ecx"], r.regs["edx"]
    assert base < 0x100000 and offset < length
    return m, base + offset


def test_bios32_directory(machine):
    m = machine()
    entry = bios16_bios32_directory(m)
    assert 0xF0000 <= entry < 0x100000
    r = m.far_call32(entry, eax=0x12345678, ebx=0)
    assert r.regs["eax"] & 0xFF == 0x80                         # no such service
    r = m.far_call32(entry, eax=0x49435024, ebx=1)
    assert r.regs["eax"] & 0xFF == 0x81                         # EBX must be 0


def call_pci(m, entry, al, **regs):
    regs.setdefault("esi", 0x5151_5151)
    regs.setdefault("ebp", 0xB0B0_B0B0)
    return m.far_call32(entry, eax=0xB100 | al, **regs)


def test_pcibios_installation_check(pcibios):
    m, entry = pcibios
    r = call_pci(m, entry, 0x01, edi=0xD1D1_D1D1)
    assert not r.cf and r.regs["edx"] == 0x20494350             # "PCI "
    assert r.regs["eax"] & 0xFFFF == 0x0001                     # AH = 0, mechanism #1
    assert r.regs["ebx"] & 0xFFFF == 0x0210 and r.regs["ecx"] & 0xFF == 0
    assert r.regs["edi"] == 0xD1D1_D1D1                         # Linux relies on that


def test_pcibios_reads_and_writes_configuration_space(pcibios, pci):
    m, entry = pcibios
    keep = dict(esi=0x5151_5151, edi=0, ebp=0xB0B0_B0B0, edx=0xDDDD_DDDD)
    r = call_pci(m, entry, 0x0A, ebx=0x0000, ecx=0, **keep)     # dword 00:00.0 reg 0
    assert not r.cf and r.regs["eax"] >> 8 & 0xFF == 0 and r.regs["ecx"] == 0x29C0_8086
    assert {k: r.regs[k] for k in keep} == keep and r.reg16("ebx") == 0
    r = call_pci(m, entry, 0x09, ebx=0x0000, ecx=0xCCCC_0000, edi=0x62)
    assert r.regs["ecx"] == 0xCCCC_0403                         # word: CX only
    r = call_pci(m, entry, 0x08, ebx=0x0011, ecx=0xCCCC_CC00, edi=0x01)
    assert r.regs["ecx"] == 0xCCCC_CC1A                         # 00:02.1 vendor high byte
    r = call_pci(m, entry, 0x0A, ebx=0x0100, edi=0)             # bus 1
    assert r.regs["ecx"] == 0x0001_1B36
    r = call_pci(m, entry, 0x0A, ebx=0x0018, edi=0)             # absent: all ones
    assert not r.cf and r.regs["ecx"] == 0xFFFF_FFFF
    r = call_pci(m, entry, 0x0D, ebx=0x0011, ecx=0xA5A5_5A5A, edi=0x10)
    assert not r.cf and r.regs["ecx"] == 0xA5A5_5A5A
    r = call_pci(m, entry, 0x0B, ebx=0x0011, ecx=0x77, edi=0x13)
    r = call_pci(m, entry, 0x0C, ebx=0x0011, ecx=0xBEEF, edi=0x3C)
    assert bytes(pci.functions[0x0011][0x10:0x14]) == bytes([0x5A, 0x5A, 0xA5, 0x77])
    assert bytes(pci.functions[0x0011][0x3C:0x3E]) == bytes([0xEF, 0xBE])
    # two port accesses per function
    assert len(r.accesses) == 2


@pytest.mark.parametrize("al,reg", [(0x09, 0x01), (0x0C, 0x03), (0x0A, 0x02), (0x0D, 0x41),
                                    (0x08, 0x100), (0x0A, 0x1000)])
def test_pcibios_bad_register_numbers(pcibios, al, reg):
    m, entry = pcibios
    r = call_pci(m, entry, al, ebx=0, ecx=0x1234, edi=reg)
    assert r.cf and r.regs["eax"] >> 8 & 0xFF == 0x87 and not r.accesses


@pytest.mark.parametrize("ax", [0xB102, 0xB103, 0xB10E, 0xB100, 0xB10F, 0xB000])
def test_pcibios_other_functions_are_unsupported(pcibios, ax):
    m, entry = pcibios
    r = m.far_call32(entry, eax=ax, ebx=0x1234, ecx=0x5678)
    assert r.cf and r.regs["eax"] >> 8 & 0xFF == 0x81
    assert (r.regs["ebx"], r.regs["ecx"]) == (0x1234, 0x5678)


def test_pcibios_is_position_independent(pcibios, pci):
    """Guests call it through their own mapping (Linux: PAGE_OFFSET + address): a copy of
    the service elsewhere behaves the same."""
    m, entry = pcibios
    r = m.far_call32(bios16_bios32_directory(m), eax=0x49435024, ebx=0)
    base, length, offset = r.regs["ebx"], r.regs["ecx"], r.regs["edx"]
    elsewhere = 0x0120_0000 + (base & 0xFFF)
    m.write(elsewhere, m.read(base, length))
    r = call_pci(m, elsewhere + offset, 0x0A, ebx=0x0000, edi=0)
    assert not r.cf and r.regs["ecx"] == 0x29C0_8086


# -- bios16_enter_real_mode --------------------------------------------------------------

def rm_block(cs, ip, ds=0, es=0, fs=0, gs=0, ss=0, sp=0, flags=0, eax=0, ebx=0, ecx=0,
             edx=0, esi=0, edi=0, ebp=0):
    """The RM_* register block of bios16.inc."""
    return struct.pack("<HHHHIIIIIIIIHHHHH", gs, fs, es, ds, edi, esi, ebp, 0, ebx, edx, ecx,
                       eax, ip, cs, flags, ss, sp)


BLOCK = 0x8000            # anywhere: bios16_enter_real_mode copies it


@pytest.mark.parametrize("flags,sp", [(0x0200, 0x8000), (0x0000, 0x0000), (0xFFFF, 0x0030)])
def test_enter_real_mode_reaches_the_target(machine, flags, sp):
    m = machine()
    target_cs, target_ip = 0x1000, 0x0100
    target = target_cs * 16 + target_ip
    m.write(target, b"\xF4")                                    # hlt
    regs = dict(eax=0x1111_1111, ebx=0x2222_2222, ecx=0x3333_3333, edx=0x4444_4444,
                esi=0x5555_5555, edi=0x6666_6666, ebp=0x7777_7777)
    m.write(BLOCK, rm_block(target_cs, target_ip, ds=0x2000, es=0x3000, fs=0x4000, gs=0x5000,
                            ss=0x6000, sp=sp, flags=flags, **regs))
    r = m.run_to("bios16_enter_real_mode", target, esi=BLOCK, eax=0xDEAD, ebx=0xBEEF)
    assert not r.cr0 & 1                                        # real mode
    assert r.segs == dict(cs=target_cs, ds=0x2000, es=0x3000, ss=0x6000, fs=0x4000, gs=0x5000)
    assert (r.regs["eip"], r.regs["esp"]) == (target_ip, sp)
    assert {k: r.regs[k] for k in regs} == regs
    assert r.regs["eflags"] & 0x200 == flags & 0x200            # IF only if asked
    assert r.regs["eflags"] & 0x400 == 0                        # DF clear
    # the target can use the BIOS: the IVT is there and INT 12h works from real mode
    assert m.int_(0x12).reg16("eax") == 636


def test_enter_real_mode_refuses_a_stack_without_room(machine):
    m = machine()
    m.write(BLOCK, rm_block(0x1000, 0, ss=0x6000, sp=0x20))
    with pytest.raises(Panic, match="no room for the handover frame"):
        m.call("bios16_enter_real_mode", esi=BLOCK)


def test_exceptions_are_reported_not_dispatched(machine):
    m = machine()
    m.write(0x0600, b"\x31\xC9\xF7\xF1\xF4")                    # xor cx, cx; div cx; hlt
    m.real_mode()
    with pytest.raises(CpuException, match="exception 0 at 0x602"):
        m._run(0x0600, 0x0604, 100, "divide by zero")
    m.protected_mode()
