"""The real-mode services real programs need beyond the memory map (plugins/bios16:
int15_ext.asm, time.asm, timer.asm, kbd.asm, video.asm, fatal.asm), each called with
`int n` through the installed IVT against simulated devices."""

import struct

import pytest

from qbootcore.build import Selection, build
from qbootcore.layout import REGIONS
from qbootcore.testing import FwCfg
from tests.unit.test_bios16 import (FSEG, QEMU_MAP, BiosMachine, e820_file,  # noqa: F401
                                    machine, pci, rom, rm_block)
from tests.unit.test_bios16_calls import Port92

MiB = 1 << 20


class Pit:
    """The 8254's channel 0 counting down by `step` between two latches."""
    def __init__(self, step):
        self.step, self.count, self.latches, self.bytes = step, 0xFFF0, 0, []

    def port_read(self, port, size):
        if port != 0x40:
            return None
        return self.bytes.pop(0) if self.bytes else 0

    def port_write(self, port, size, value):
        if port == 0x43 and value == 0x00:
            self.latches += 1
            self.count = (self.count - self.step) & 0xFFFF
            self.bytes = [self.count & 0xFF, self.count >> 8]
            return True
        return port in (0x40, 0x43)


class Cmos:
    def __init__(self, regs, updating=False):
        self.regs, self.index, self.updating = regs, 0, updating

    def port_read(self, port, size):
        if port != 0x71:
            return None
        if self.index == 0x0A:
            return 0x26 | (0x80 if self.updating else 0)
        return self.regs.get(self.index, 0)

    def port_write(self, port, size, value):
        if port == 0x70:
            self.index = value & 0x7F
            return True
        return False


class SerialIn:
    """COM1 with bytes waiting to be received."""
    def __init__(self, data=b""):
        self.data = bytearray(data)

    def port_read(self, port, size):
        if port == 0x3FD:
            return 0x60 | (1 if self.data else 0)
        if port == 0x3F8 and self.data:
            return self.data.pop(0)
        return None

    def port_write(self, port, size, value):
        return False


class I8042:
    def __init__(self, data=b""):
        self.data = bytearray(data)

    def port_read(self, port, size):
        if port == 0x64:
            return 0x1C | (1 if self.data else 0)
        if port == 0x60:
            return self.data.pop(0) if self.data else 0
        return None

    def port_write(self, port, size, value):
        return False


def ah(r):
    return (r.regs["eax"] >> 8) & 0xFF


# -- INT 15h ----------------------------------------------------------------------------

def descriptor(base, limit=0xFFFF):
    return struct.pack("<HHBBBB", limit, base & 0xFFFF, (base >> 16) & 0xFF, 0x93, 0,
                       base >> 24)


@pytest.mark.parametrize("src,dst,words", [(0x0020_0000, 0x0030_0001, 0x100),
                                           (0x7000, 0x0100_0000, 0x81)])
def test_int15_87_block_move(machine, src, dst, words):
    m = machine()
    gdt = bytes(16) + descriptor(src) + descriptor(dst) + bytes(16)
    m.write(0x20000, gdt)                                       # ES:SI = 2000:0000
    data = bytes(range(256)) * 2
    m.write(src, data)
    m.write(dst + 2 * words, b"\xEE" * 4)
    regs = dict(ebx=0x1111_2222, edx=0x3333_4444, edi=0x5555_6666, ebp=0x7777_8888)
    r = m.int_(0x15, eax=0x8700, ecx=words, es=0x2000, esi=0, ds=0x1234, **regs)
    assert not r.cf and ah(r) == 0
    assert m.read(dst, 2 * words + 4) == data[:2 * words] + b"\xEE" * 4   # exactly CX words
    assert {k: r.regs[k] for k in regs} == regs
    assert r.reg16("ecx") == words and r.segs["ds"] == 0x1234 and r.segs["es"] == 0x2000


def test_int15_86_waits_by_the_timer(machine):
    m = machine()
    pit = Pit(step=100)
    m.devices = (pit,)
    r = m.int_(0x15, eax=0x8600, ecx=0, edx=1000, ebx=0xABCD)  # 1 ms: 1193 timer counts
    assert not r.cf and ah(r) == 0 and r.regs["ebx"] == 0xABCD
    assert pit.latches == 1 + 12                                # 12 polls of 100 counts
    pit.latches = 0
    m.int_(0x15, eax=0x8600, ecx=0x0001, edx=0x0000)            # 65.5 ms: 78196 counts
    assert pit.latches == 1 + 782


def test_int15_c0_system_configuration(machine):
    m = machine()
    r = m.int_(0x15, eax=0xC000)
    assert not r.cf and ah(r) == 0
    table = m.read(r.segs["es"] * 16 + r.reg16("ebx"), 10)
    length, model, submodel, revision, feature1 = struct.unpack_from("<HBBBB", table)
    assert (length, model, submodel, revision) == (8, 0xFC, 0x00, 0x01)
    assert feature1 & 0x04 and feature1 & 0x20                 # EBDA, RTC


def test_int15_24_a20(machine):
    m = machine()
    port = Port92(0x00)
    m.devices = (port,)
    r = m.int_(0x15, eax=0x2402)
    assert not r.cf and r.reg16("eax") == 0x0000                # off
    r = m.int_(0x15, eax=0x2401)
    assert not r.cf and ah(r) == 0 and port.value == 0x02
    assert m.int_(0x15, eax=0x2402).reg16("eax") == 0x0001      # on
    m.int_(0x15, eax=0x2400)
    assert port.value == 0x00
    r = m.int_(0x15, eax=0x2403, ebx=0)
    assert not r.cf and r.reg16("ebx") == 0x0002                # port 92h
    r = m.int_(0x15, eax=0x2404)
    assert r.cf and ah(r) == 0x86
    assert all(not v & 1 for v in port.writes)                  # never the reset bit


# -- INT 1Ah and the timer --------------------------------------------------------------

def test_int1a_ticks(machine):
    m = machine()
    m.write(0x46C, struct.pack("<I", 0x0012_3456))
    m.write(0x470, b"\x01")
    r = m.int_(0x1A, eax=0x0000, eflags=0x3)
    assert not r.cf and (r.reg16("ecx"), r.reg16("edx")) == (0x0012, 0x3456)
    assert r.regs["eax"] & 0xFF == 1 and m.read(0x470, 1) == b"\x00"
    m.write(0x470, b"\x01")
    r = m.int_(0x1A, eax=0x0100, ecx=0x0001, edx=0x0203, eflags=0x3)
    assert not r.cf and m.read(0x46C, 5) == bytes([3, 2, 1, 0, 0])


def test_int1a_rtc(machine):
    m = machine()
    m.devices = (Cmos({0: 0x56, 2: 0x34, 4: 0x12, 0x0B: 0x03, 7: 0x31, 8: 0x12, 9: 0x26,
                       0x32: 0x20}),)
    r = m.int_(0x1A, eax=0x0200)
    assert not r.cf and (r.reg16("ecx"), r.reg16("edx")) == (0x1234, 0x5601)
    r = m.int_(0x1A, eax=0x0400)
    assert not r.cf and (r.reg16("ecx"), r.reg16("edx")) == (0x2026, 0x1231)
    m.devices = (Cmos({}, updating=True),)
    r = m.int_(0x1A, eax=0x0200, ecx=0x1111, edx=0x2222)
    assert r.cf and (r.reg16("ecx"), r.reg16("edx")) == (0x1111, 0x2222)
    r = m.int_(0x1A, eax=0x0300, ecx=0x1111)                    # setting: not here
    assert r.cf and r.reg16("ecx") == 0x1111


def test_int1a_pci_bios_in_real_mode(machine, pci):
    m = machine(pci=pci)
    r = m.int_(0x1A, eax=0xB101, edi=0x1234)
    assert not r.cf and ah(r) == 0 and r.regs["edx"] == 0x20494350
    assert r.reg16("ebx") == 0x0210 and r.regs["ecx"] & 0xFF == 0
    r = m.int_(0x1A, eax=0xB10A, ebx=0x0000, edi=0, esi=0x5151, ebp=0xB0B0)
    assert not r.cf and ah(r) == 0 and r.regs["ecx"] == 0x29C0_8086
    assert (r.regs["esi"], r.regs["ebp"]) == (0x5151, 0xB0B0)
    r = m.int_(0x1A, eax=0xB109, ebx=0x0011, edi=0x01)          # unaligned word
    assert r.cf and ah(r) == 0x87
    r = m.int_(0x1A, eax=0xB10C, ebx=0x0011, ecx=0xBEEF, edi=0x3C)
    assert not r.cf and bytes(pci.functions[0x0011][0x3C:0x3E]) == b"\xEF\xBE"


def test_timer_start_programs_the_pics_and_the_pit_once(machine):
    m = machine()
    r = m.call("bios16_timer_start")
    assert [(a.kind, a.address, a.value) for a in r.accesses] == [
        ("out", 0x20, 0x11), ("out", 0xA0, 0x11), ("out", 0x21, 0x08), ("out", 0xA1, 0x70),
        ("out", 0x21, 0x04), ("out", 0xA1, 0x02), ("out", 0x21, 0x01), ("out", 0xA1, 0x01),
        ("out", 0x21, 0xFA), ("out", 0xA1, 0xFF),                # IRQ 0 and the cascade on
        ("out", 0x43, 0x34), ("out", 0x40, 0x00), ("out", 0x40, 0x00),   # 18.2 Hz
        ("out", 0x64, 0x60), ("out", 0x60, 0x64)]               # i8042: set 1, mouse off
    assert m.call("bios16_timer_start").accesses == []


def test_entering_real_mode_starts_the_timer(machine):
    m = machine()
    m.write(0x10100, b"\xF4")
    m.write(0x8000, rm_block(0x1000, 0x100, ss=0x2000, sp=0x1000))
    r = m.run_to("bios16_enter_real_mode", 0x10100, esi=0x8000)
    assert ("out", 0x43, 0x34) in [(a.kind, a.address, a.value) for a in r.accesses]


def test_irq0_counts_ticks_calls_int1c_and_ends_the_interrupt(machine):
    m = machine()
    m.write(0x0600, b"\xFE\x06\x00\x07\xCF")                    # INT 1Ch: inc byte [0700h]; iret
    m.write(0x1C * 4, struct.pack("<HH", 0x0600, 0))
    m.write(0x46C, struct.pack("<I", 41))
    r = m.int_(0x08, eax=0x1234_5678, eflags=0x2)
    assert m.read(0x46C, 4) == struct.pack("<I", 42) and m.read(0x700, 1) == b"\x01"
    assert r.regs["eax"] == 0x1234_5678 and r.segs["ds"] == 0
    assert [(a.kind, a.address, a.value) for a in r.accesses] == [("out", 0x20, 0x20)]
    m.write(0x46C, struct.pack("<I", 0x1800AF))                  # the last tick of the day
    m.int_(0x08)
    assert m.read(0x46C, 4) == bytes(4) and m.read(0x470, 1) == b"\x01"


# -- INT 16h ----------------------------------------------------------------------------

def test_int16_reads_keys_from_com1(machine):
    m = machine()
    m.devices = (SerialIn(b"ab"),)
    r = m.int_(0x16, eax=0x0100)
    assert not r.zf and r.reg16("eax") == 0x0061
    r = m.int_(0x16, eax=0x1100)
    assert not r.zf and r.reg16("eax") == 0x0061                # still waiting
    assert m.int_(0x16, eax=0x0000).reg16("eax") == 0x0061
    assert m.int_(0x16, eax=0x1000).reg16("eax") == 0x0062
    r = m.int_(0x16, eax=0x0100, eflags=0x2)
    assert r.zf                                                 # nothing more


def test_int16_reads_key_presses_from_the_i8042(machine):
    m = machine()
    # a, release; Shift down, a, Shift up; Ctrl down, c; F1; E0-prefixed up arrow
    m.devices = (I8042(bytes([0x1E, 0x9E, 0x2A, 0x1E, 0xAA, 0x1D, 0x2E, 0x9D, 0x3B,
                              0xE0, 0x48])),)
    keys = []
    for _ in range(20):
        r = m.int_(0x16, eax=0x0100, eflags=0x2)
        if not r.zf:
            keys.append(m.int_(0x16, eax=0x0000).reg16("eax"))
        if not m.devices[0].data and r.zf:
            break
    assert keys == [0x1E61, 0x1E41, 0x2E03, 0x3B00, 0x4800]
    assert m.read(0x417, 1) == b"\x00"                          # every modifier released


def test_int16_store_shift_flags_and_others(machine):
    m = machine()
    r = m.int_(0x16, eax=0x0500, ecx=0x1C0D)
    assert not r.cf and r.regs["eax"] & 0xFF == 0
    assert m.int_(0x16, eax=0x0000).reg16("eax") == 0x1C0D
    m.write(0x417, b"\x20")
    assert m.int_(0x16, eax=0x0200).regs["eax"] & 0xFF == 0x20
    assert m.int_(0x16, eax=0x1200).reg16("eax") == 0x0020
    r = m.int_(0x16, eax=0x0305)
    assert r.cf and r.reg16("eax") == 0x0305


# -- INT 10h queries --------------------------------------------------------------------

def test_int10_queries(machine):
    m = machine()
    r = m.int_(0x10, eax=0x0F00, ebx=0x1234)
    assert r.reg16("eax") == 0x5003 and r.reg16("ebx") == 0x0034
    m.write(0x450, bytes([7, 3]))                               # column 7, row 3
    r = m.int_(0x10, eax=0x0300, ebx=0)
    assert r.reg16("edx") == 0x0307 and r.reg16("ecx") == 0x0607
    assert m.int_(0x10, eax=0x0800).reg16("eax") == 0x0720
    assert m.read(0x449, 1) == b"\x03" and m.read(0x44A, 2) == b"\x50\x00"
    assert not m.serial


# -- fatal vectors ----------------------------------------------------------------------

@pytest.mark.parametrize("vector,why", [
    (0x05, "a CPU exception"), (0x00, "a CPU exception"),   # (unicorn stops at INT 6 itself)
    (0x18, "found nothing \\(more\\) to boot"), (0x19, "asked the BIOS to boot")])
def test_fatal_vectors_panic_with_the_vector_and_cs_ip(machine, vector, why):
    m = machine()
    with pytest.raises(RuntimeError, match="did not return"):
        m.int_(vector, ss=0x0700, sp=0x1000)
    message = m.debugcon.decode()
    assert f"real-mode INT {vector:02X}h at 0000:0502: " in message, message
    import re
    assert re.search(why, message) and message.endswith("\r\n"), message
    assert bytes(m.serial).decode() == message


class Pic:
    """The master 8259's in-service register, read through OCW3."""
    def __init__(self, isr):
        self.isr, self.read_isr = isr, False

    def port_read(self, port, size):
        return (self.isr if self.read_isr else 0) if port == 0x20 else None

    def port_write(self, port, size, value):
        if port == 0x20 and value in (0x0A, 0x0B):
            self.read_isr = value == 0x0B
            return True
        return False


@pytest.mark.parametrize("vector,irq", [(0x0C, 4), (0x0D, 5)])
def test_stack_fault_and_general_protection_share_irq_vectors(machine, vector, irq):
    m = machine()
    pic = Pic(1 << irq)
    m.devices = (pic,)
    r = m.int_(vector, eax=0xAAAA)                              # IRQ in service: an IRQ
    assert r.reg16("eax") == 0xAAAA and not pic.read_isr        # the IRR is read again
    assert [(a.address, a.value) for a in r.accesses if a.kind == "out"] == [
        (0x20, 0x0B), (0x20, 0x0A), (0x20, 0x20)]               # ISR, IRR, EOI
    pic.isr = 0
    with pytest.raises(RuntimeError, match="did not return"):
        m.int_(vector)                                          # not in service: the fault
    assert f"real-mode INT {vector:02X}h at 0000:0502: a CPU exception" in m.debugcon.decode()


def test_pci_bios_reports_the_last_bus_the_walk_numbered():
    """With the PCI walk in the ROM, INT 1Ah B101h answers CL = the last bus it numbered
    (iPXE scans buses 0..CL: a NIC behind a bridge needs it); without it, 0 (above)."""
    rom = build(Selection(board="q35", loaders=["linux"], plugins=["bios16", "pci"]))
    fw = FwCfg()
    fw.add_file("etc/e820", e820_file(QEMU_MAP))
    m = BiosMachine(rom.linked, fw)
    m.write(FSEG, bytes(0x10000))
    m.write(REGIONS["fseg"].address(REGIONS["fseg"].start), rom.rom[REGIONS["fseg"].start:])
    for step in ("fw_cfg_init", "e820_init", "alloc_init", "core_reserve", "bios16_install"):
        m.call(step)
    m.write(m.sym("pci_last_bus"), struct.pack("<I", 3))     # as pci_walk leaves it
    m.call("bios16_last_bus")
    r = m.int_(0x1A, eax=0xB101)
    assert not r.cf and ah(r) == 0 and r.regs["ecx"] & 0xFF == 3
