"""checksum_sum and checksum_fix (firmware/alloc.asm) in the emulator: with SSE2 (PSADBW, 16
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
