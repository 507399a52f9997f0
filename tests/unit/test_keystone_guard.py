"""keystone-engine 0.9.2 mis-encodes 16-bit ret/retf/call/push imm/near jumps with an
operand-size prefix.  The backend's guard must correct them, or refuse naming the line."""

import pytest
from keystone import KS_ARCH_X86, KS_MODE_16, KS_MODE_32, Ks

from qbootcore import asm
from qbootcore.asm import Line
from qbootcore.backends import Assembled
from qbootcore.backends.keystone_backend import KeystoneAssembler, guard16, guard32
from qbootcore.errors import QbootError

BASE = 0xF0000


def assemble16(source, base=BASE):
    lines, labels, _, _ = asm.scan(source, "test.asm")
    lines = asm.substitute(lines, labels, {}, "test.asm")
    return KeystoneAssembler().assemble(lines, 16, base, "test.asm").code


@pytest.mark.parametrize("source", ["ret", "retf", "push 5", "call target\ntarget:"])
def test_keystone_itself_still_has_the_bug(source):
    """If this fails, keystone was fixed and the guard can be revisited."""
    raw = bytes(Ks(KS_ARCH_X86, KS_MODE_16).asm(source, BASE)[0])
    assert raw[0] == 0x66


@pytest.mark.parametrize("source,expected", [
    ("ret", "c3"),
    ("retf", "cb"),
    ("ret 4", "c20400"),
    ("retf 0x10", "ca1000"),
    ("push 5", "6a05"),
    ("push -2", "6afe"),
    ("push 0x1234", "683412"),
    ("call target\ntarget:", "e80000"),
    ("target:\ncall target", "e8fdff"),
    ("jmp far_away\n.fill 300, 1, 0x90\nfar_away:", "e92c01" + "90" * 300),
    ("jz far_away\n.fill 300, 1, 0x90\nfar_away:", "0f842c01" + "90" * 300),
    ("jmp near_by\nnop\nnear_by:", "eb0190"),
])
def test_guard_corrects_known_misencodings(source, expected):
    assert assemble16(source).hex() == expected


def test_call_to_another_fragments_symbol_uses_rel16():
    # after substitution another fragment's symbol is a number
    code = assemble16("call 0xf1000", base=0xF0000)
    assert code.hex() == "e8fd0f"


def test_a_fixed_near_jump_becomes_short_when_the_code_shrinks():
    # keystone: 40 calls of 6 bytes put "done" out of short range; corrected to 3 bytes
    # each, it is 120 bytes away and the jump must be short, as GNU as would make it
    source = "jmp done\n" + "call done\n" * 40 + "done:"
    code = assemble16(source)
    assert code[0] == 0xEB and code[1] == 40 * 3


def test_guard_accepts_deliberate_32bit_operands():
    code = assemble16("mov eax, cr0\npushfd\nmov eax, dword ptr cs:[0x20]")
    assert code.hex() == "0f20c0669c662ea12000"


def test_guard_refuses_what_it_cannot_correct_naming_the_line():
    # keystone's output for a line it has no correction for, carrying a stray 0x66
    lines = [Line(1, "nop"), Line(2, "xchg bx, bx")]
    fake = Assembled(bytes.fromhex("90" "6687db"), [0, 1, 4])
    with pytest.raises(QbootError, match=r"test.asm:2: keystone 0.9.2 mis-encodes the 16-bit "
                                         r"instruction 'xchg bx, bx' as 66 87 db"):
        guard16(lines, fake, BASE, "test.asm", {})


def assemble32(source, base=0xFFFF0000):
    lines, labels, _, _ = asm.scan(source, "test.asm")
    lines = asm.substitute(lines, labels, {}, "test.asm")
    return KeystoneAssembler().assemble(lines, 32, base, "test.asm").code


def test_keystone_adds_an_operand_size_prefix_to_32bit_lgdt():
    assert bytes(Ks(KS_ARCH_X86, KS_MODE_32).asm("lgdt [0xffffa020]", 0)[0])[0] == 0x66


@pytest.mark.parametrize("source,expected", [
    ("lgdt [0xffffa020]", "0f011520a0ffff"),
    ("lidt [0x1000]", "0f011d00100000"),
    ("lgdt [desc]\ndesc: .word 7", "0f01150700ffff0700"),
    ("mov ax, 5", "66b80500"),              # a deliberate 16-bit operand keeps its prefix
])
def test_guard_corrects_32bit_descriptor_table_loads(source, expected):
    assert assemble32(source).hex() == expected


def test_guard32_refuses_other_stray_prefixes():
    lines = [Line(7, "inc eax")]
    fake = Assembled(bytes.fromhex("6640"), [0, 2])
    with pytest.raises(QbootError, match=r"test.asm:7: keystone 0.9.2 mis-encodes the 32-bit"):
        guard32(lines, fake, 0xFFFF0000, "test.asm", {})
