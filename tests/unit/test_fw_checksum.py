"""checksum_sum, checksum_fix and mem_zero (firmware/alloc.asm) in the emulator: with SSE2 (PSADBW, 16
bytes at a time) and without, at every alignment and with tails of every length."""

import os

import pytest

from unicorn import x86_const as X

CR4 = X.UC_X86_REG_CR4

BUF = 0x60000
LENGTHS = (0, 1, 15, 16, 17, 31, 100, 4099)


@pytest.mark.parametrize("sse2", [0, 1])
def test_checksum_sum_is_the_byte_sum(emu, sse2):
    m = emu()
    if sse2:   # what entry32 does on a CPU with SSE2
        m.uc.reg_write(CR4, m.uc.reg_read(CR4) | (1 << 9))
    m.write(m.sym("cpu_has_sse2"), bytes([sse2]))
    data = os.urandom(4200)
    m.write(BUF, data)
    for start in (0, 1, 3, 7):
        for length in LENGTHS:
            r = m.call("checksum_sum", esi=BUF + start, ecx=length)
            assert r.regs["eax"] & 0xFF == sum(data[start:start + length]) & 0xFF, \
                (sse2, start, length)


def test_checksum_fix_zeroes_the_sum(emu):
    m = emu()
    m.uc.reg_write(CR4, m.uc.reg_read(CR4) | (1 << 9))
    m.write(m.sym("cpu_has_sse2"), b"\x01")
    data = bytearray(os.urandom(300))
    m.write(BUF, bytes(data))
    m.call("checksum_fix", esi=BUF + 1, ecx=290, edi=BUF + 10)
    assert sum(m.read(BUF + 1, 290)) & 0xFF == 0


@pytest.mark.parametrize("sse2", [0, 1])
def test_mem_zero_zeroes_exactly_the_range(emu, sse2):
    m = emu()
    if sse2:
        m.uc.reg_write(CR4, m.uc.reg_read(CR4) | (1 << 9))
    m.write(m.sym("cpu_has_sse2"), bytes([sse2]))
    for start, length in ((0, 0), (1, 3), (3, 70), (0, 0x1F1), (0x271, 0x1000 - 0x271)):
        m.write(BUF, b"\xAA" * 0x1100)
        r = m.call("mem_zero", edi=BUF + start, ecx=length)
        assert r.regs["edi"] == BUF + start + length
        got = m.read(BUF, 0x1100)
        assert got == b"\xAA" * start + bytes(length) + b"\xAA" * (0x1100 - start - length)
