"""The core's preprocessing of fragment sources and constants files."""

import pytest

from qbootcore import asm
from qbootcore.errors import QbootError


def test_scan_strips_comments_but_not_strings_and_splits_labels():
    lines, labels, globals_, bss = asm.scan(
        '.global entry\nentry: mov eax, 1 ; one\nmsg: .asciz "a;b"\n.bss counter, 4\n', "f.asm")
    assert labels == ["entry", "msg"] and globals_ == ["entry"]
    assert [l.text for l in lines if l.text] == ["mov eax, 1", '.asciz "a;b"']
    assert bss[0].name == "counter" and bss[0].size == "4"


def test_substitute_replaces_constants_and_symbols_not_locals_or_registers():
    lines, labels, _, _ = asm.scan("here: mov eax, [FOO + ebx]\njmp here\ncall other", "f.asm")
    out = asm.substitute(lines, labels, {"FOO": 0x10, "other": 0xFFFF0000}, "f.asm")
    assert [l.text for l in out if l.text] == ["mov eax, [0x10 + ebx]", "jmp here",
                                               "call 0xffff0000"]


def test_undefined_symbol_names_file_line_and_fix():
    lines, labels, _, _ = asm.scan("nop\nmov eax, missing_thing", "f.asm")
    with pytest.raises(QbootError, match=r"f.asm:2: undefined symbol 'missing_thing'"):
        asm.substitute(lines, labels, {}, "f.asm")


@pytest.mark.parametrize("directive", [".align 16", ".code16", ".section .text", ".set X, 1"])
def test_directives_that_would_make_backends_differ_are_refused(directive):
    with pytest.raises(QbootError, match="not allowed in fragments"):
        asm.scan(f"nop\n{directive}\n", "f.asm")


def test_global_must_name_a_label():
    with pytest.raises(QbootError, match="names no label"):
        asm.scan(".global nowhere\nnop\n", "f.asm")


def test_constants_files(tmp_path):
    f = tmp_path / "c.inc"
    f.write_text("A = 0x10   ; spec 1.2\nB = (A << 4) | 1\nC = ~7 & 0xFF\n")
    assert asm.load_constants([f]) == {"A": 0x10, "B": 0x101, "C": 0xF8}
    f.write_text("lower = 1\n")
    with pytest.raises(QbootError, match="c.inc:1: expected 'NAME = value'"):
        asm.load_constants([f])
    f.write_text("A = B + 1\n")
    with pytest.raises(QbootError, match="unknown constant 'B'"):
        asm.load_constants([f])
