"""bios16_call32 and bios16_call16 (plugins/bios16/call32.asm, call16.asm) in the emulator:
a 16-bit service calling a 32-bit routine and coming back, and 32-bit firmware far-calling
real-mode code that returns with RETF, nested the way an option ROM's initialisation that
calls INT 13h would be."""

import struct

import pytest
from keystone import KS_ARCH_X86, KS_MODE_16, KS_MODE_32, Ks
from unicorn import UC_HOOK_CODE
from unicorn import x86_const as X

from tests.unit.test_bios16 import machine, rom, rm_block  # noqa: F401 (fixtures)

ROUTINE = 0x0012_0000           # a 32-bit routine in RAM above 1 MiB
NOTES = 0x0012_1000             # where it writes what it saw
EBDA = 0x9F000
STACK32_TOP = EBDA + 0x1000


def asm(text, bits=32, base=0):
    code, _ = Ks(KS_ARCH_X86, KS_MODE_32 if bits == 32 else KS_MODE_16).asm(text, base)
    return bytes(code)


def routine(m, set_cf):
    """EAX += ECX, EDX = ~EDX, ESI/EDI swapped, EBX = what EBP was (its own address),
    EBP = what EBX was; notes ESP, CS, DS, SS, EBP and EFLAGS; returns with CF as asked."""
    m.write(ROUTINE, asm(f"""
        mov [{NOTES}], esp
        mov [{NOTES + 4}], cs
        mov [{NOTES + 8}], ds
        mov [{NOTES + 12}], ss
        mov [{NOTES + 16}], ebp
        pushfd
        pop dword ptr [{NOTES + 20}]
        add eax, ecx
        not edx
        xchg esi, edi
        xchg ebp, ebx
        {'stc' if set_cf else 'clc'}
        ret""", base=ROUTINE))


@pytest.mark.parametrize("set_cf", [True, False])
def test_call32_runs_the_routine_and_returns_its_registers(machine, set_cf):
    m = machine()
    routine(m, set_cf)
    caller_flags = 0x2 | 0x200 | 0x80 | (0 if set_cf else 1)     # IF, SF, CF opposite
    regs = dict(eax=0x1000_0001, ecx=0x0200_0002, edx=0x0F0F_0F0F, esi=0x5151_5151,
                edi=0xD1D1_D1D1, ebx=0xB0B0_B0B0)
    m.real_mode()
    r = m.near_call16("bios16_call32", ds=0x1234, es=0x2345, fs=0x3456, gs=0x4567,
                      ss=0x0700, sp=0x1FFE, ebp=ROUTINE, eflags=caller_flags, **regs)
    assert r.regs["eax"] == 0x1200_0003 and r.regs["edx"] == 0xF0F0_F0F0
    assert (r.regs["esi"], r.regs["edi"]) == (0xD1D1_D1D1, 0x5151_5151)
    assert r.regs["ebx"] == ROUTINE and r.regs["ebp"] == 0xB0B0_B0B0
    assert r.cf == set_cf
    assert r.regs["eflags"] & 0x280 == 0x280                    # IF and SF as the caller had
    assert r.segs == dict(cs=0, ds=0x1234, es=0x2345, fs=0x3456, gs=0x4567, ss=0x0700)
    assert r.regs["esp"] & 0xFFFF == 0x1FFE
    # inside: flat protected mode on the EBDA stack, interrupts off, EBP = the routine
    esp, cs, ds, ss, ebp, eflags = struct.unpack("<6I", m.read(NOTES, 24))
    assert (cs & 0xFFFF, ds & 0xFFFF, ss & 0xFFFF) == (0x10, 0x18, 0x18)
    assert EBDA + 0x800 <= esp < STACK32_TOP and ebp == ROUTINE
    assert not eflags & 0x200 and not eflags & 0x400
    assert not r.cr0 & 1


class Port92:
    """System Control Port A: bit 1 = A20."""
    def __init__(self, value):
        self.value, self.writes = value, []

    def port_read(self, port, size):
        return self.value if port == 0x92 else None

    def port_write(self, port, size, value):
        if port != 0x92:
            return False
        self.writes.append(value)
        self.value = value
        return True


def gdtr_at_return(m, **regs):
    """near_call16(bios16_call32) with the caller's GDTR set to 123450h/2Fh (a real-mode
    program that loaded its own GDT); the GDTR seen at the stub's RETF."""
    seen = {}

    def probe(uc, address, size, user):
        if address == m.NEAR_STUB + 3:
            seen["gdtr"] = uc.reg_read(X.UC_X86_REG_GDTR)[1:3]
    hook = m.uc.hook_add(UC_HOOK_CODE, probe)
    m.real_mode()
    m.uc.reg_write(X.UC_X86_REG_GDTR, (0, 0x0012_3450, 0x2F, 0))
    try:
        r = m.near_call16("bios16_call32", **regs)
    finally:
        m.uc.hook_del(hook)
    return r, seen["gdtr"]


@pytest.mark.parametrize("a20,writes", [(0x00, [0x02, 0x00]), (0x02, [])])
def test_call32_keeps_the_callers_gdtr_and_a20(machine, a20, writes):
    m = machine()
    port = Port92(a20)
    m.devices = (port,)
    routine(m, False)
    r, gdtr = gdtr_at_return(m, ebp=ROUTINE)
    assert gdtr == (0x0012_3450, 0x2F)
    assert port.writes == writes                                # on for the call, then as it was
    assert [a.address for a in r.accesses] == [0x92] * (1 + len(writes))


CALLEE_CS, CALLEE_IP = 0x1000, 0x0100


def callee(m, code):
    """Real-mode code at CALLEE_CS:CALLEE_IP (keystone 0.9.2 gives 16-bit retf and segment
    pushes an operand-size prefix: they are written as bytes)."""
    code = code.replace("retf", ".byte 0xCB").replace("push ds", ".byte 0x1E") \
        .replace("pop es", ".byte 0x07")
    m.write(CALLEE_CS * 16 + CALLEE_IP, asm(code, bits=16, base=CALLEE_IP))


def test_call16_far_calls_real_mode_and_returns(machine):
    m = machine()
    callee(m, """
        mov bx, 0xBEEF
        add ecx, edx
        push ds
        pop es
        mov si, sp
        int 0x12
        stc
        retf""")
    block = 0x8000
    m.write(block, rm_block(CALLEE_CS, CALLEE_IP, ds=0x2000, es=0x3000, fs=0x4000, gs=0x5000,
                            ss=0x6000, sp=0x8000, eax=0x1111_0000, ebx=0x2222_2222,
                            ecx=0x0300_0003, edx=0x0400_0004, esi=1, edi=0x6666_6666,
                            ebp=0x7777_7777))
    keep = dict(ebx=0xAAAA_AAAA, esi=block, edi=0xCCCC_CCCC, ebp=0xDDDD_DDDD)
    m.protected_mode()                                          # the firmware's GDT loaded
    r = m.call("bios16_call16", **keep)
    assert {k: r.regs[k] for k in keep} == keep
    assert r.regs["esp"] == m.sym("stack_top")
    gs, fs, es, ds, edi, esi, ebp, _, ebx, edx, ecx, eax, ip, cs, flags, ss, sp = \
        struct.unpack("<HHHHIIIIIIIIHHHHH", m.read(block, 0x32))
    assert eax == 0x1111_0000 | 636                             # INT 12h: 636 KiB
    assert ebx == 0x2222_BEEF and ecx == 0x0700_0007 and edx == 0x0400_0004
    assert (edi, ebp) == (0x6666_6666, 0x7777_7777)
    assert esi == 0x8000 - 4                                    # the return address was there
    assert (ds, es, fs, gs, ss, sp) == (0x2000, 0x2000, 0x4000, 0x5000, 0x6000, 0x8000)
    assert flags & 1 and (cs, ip) == (CALLEE_CS, CALLEE_IP)
    # back in the firmware's protected mode
    assert m.uc.reg_read(X.UC_X86_REG_CR0) & 1
    assert m.uc.reg_read(X.UC_X86_REG_CS) == 0x10 and m.uc.reg_read(X.UC_X86_REG_DS) == 0x18


def test_call16_callee_calls_a_service_that_calls_32_bit_code(machine):
    """An option ROM's init calling INT 13h, served by a 32-bit driver: call16 -> real mode
    -> INT 60h -> bios16_call32 -> 32-bit routine -> back, twice through the EBDA."""
    m = machine()
    routine(m, True)
    stub = 0xFFFE0             # spare bytes; INT 60h: call bios16_call32; jmp bios16_iret_cf
    m.write(stub, bytes([0xE8]) + struct.pack("<h", m.sym("bios16_call32") - (stub + 3))
            + bytes([0xE9]) + struct.pack("<h", m.sym("bios16_iret_cf") - (stub + 6)))
    m.write(0x60 * 4, struct.pack("<HH", stub - 0xF0000, 0xF000))
    callee(m, f"""
        mov ebp, {ROUTINE}
        mov eax, 40
        mov ecx, 2
        int 0x60
        retf""")
    block = 0x8000
    m.write(block, rm_block(CALLEE_CS, CALLEE_IP, ss=0x6000, sp=0))
    m.protected_mode()
    m.call("bios16_call16", esi=block)
    eax, = struct.unpack_from("<I", m.read(block + 0x24, 4))
    flags, ss, sp = struct.unpack("<HHH", m.read(block + 0x2C, 6))
    assert eax == 42 and flags & 1 and (ss, sp) == (0x6000, 0)


def test_call16_refuses_a_stack_without_room(machine):
    from qbootcore.testing import Panic
    m = machine()
    m.write(0x8000, rm_block(CALLEE_CS, CALLEE_IP, ss=0x6000, sp=0x30))
    with pytest.raises(Panic, match="no room for the return address"):
        m.call("bios16_call16", esi=0x8000)
