"""The default backend: keystone-engine (a pure ``pip install``).

keystone-engine 0.9.2 mis-encodes several 16-bit instructions: it gives them an
operand-size prefix (0x66) that turns them into their 32-bit forms -- ``ret`` becomes
``66 c3`` (pops 4 bytes), ``retf`` ``66 cb``, ``call label`` ``66 e8 rel32`` (pushes 4
bytes), ``push imm`` ``66 6a/68`` (pushes 4 bytes), and near ``jmp``/``jcc`` get rel32.
:func:`guard16` checks every 16-bit instruction it emits: an operand-size prefix is only
accepted where the source asks for 32-bit operands (a 32-bit register, ``dword``, or a
``...d`` string/stack mnemonic).  The known-bad forms are corrected by rewriting the source
line into explicit bytes (and re-assembling until the layout is stable); anything else is
refused with an error naming the source line.  :func:`guard32` does the same for the
32-bit forms keystone gets wrong (``lgdt``/``lidt`` with an absolute operand).
``push label`` is written out as bytes beforehand: keystone makes it ``push imm16``.

Branches to another fragment's symbol (a number once :mod:`qbootcore.asm` has substituted
it) always get their near form, rel16 or rel32, as GNU as gives them (a relocation against
an absolute address): keystone would pick a short jump when the target happens to be in
range, so the build's bytes would depend on the backend.
"""

from __future__ import annotations

import re
from typing import Sequence

import capstone
from keystone import KS_ARCH_X86, KS_MODE_16, KS_MODE_32, Ks, KsError

from ..asm import JCC, Line
from ..errors import QbootError
from . import Assembled, MARK, local_names, marked_source, neutralise_labels

#: mnemonics whose 32-bit operand size is spelled in the mnemonic itself
WIDE_MNEMONICS = {"pushfd", "popfd", "pushad", "popad", "iretd", "stosd", "movsd", "lodsd",
                  "cmpsd", "scasd", "insd", "outsd", "cwde", "cdq"}
WIDE_OPERAND = re.compile(r"\b(e[abcd]x|e[sd]i|e[sb]p|dword)\b", re.I)
NARROW_MNEMONICS = {"pushw", "popw", "iretw", "stosw", "movsw", "lodsw", "cmpsw", "scasw",
                    "insw", "outsw", "cwd", "cbw", "pushfw", "popfw"}
NARROW_OPERAND = re.compile(r"\b([abcd]x|[sd]i|[sb]p|word)\b", re.I)
XMM_OPERAND = re.compile(r"\bxmm[0-7]\b", re.I)
#: descriptor-table instructions: 0F 01 /n with a disp32 operand
DESCRIPTOR_TABLE = {"sgdt": 0, "sidt": 1, "lgdt": 2, "lidt": 3}
DATA = {1: ".byte", 2: ".word", 4: ".long"}
PUSH_LABEL = re.compile(r"push\s+(([A-Za-z_][\w.$]*)[^\[]*)", re.I)


def _canonical(text: str) -> str:
    """Spellings keystone needs that GNU as also accepts (kept equivalent)."""
    t = text.strip()
    low = t.lower()
    if low in ("rep movsd", "movsd"):
        return t[: len(t) - 5] + "movsd dword ptr es:[edi], dword ptr [esi]"
    if low in ("rep movsw", "movsw"):
        return t[: len(t) - 5] + "movsw word ptr es:[edi], word ptr [esi]"
    return t


class KeystoneAssembler:
    name = "keystone"

    def __init__(self) -> None:
        self._ks = {16: Ks(KS_ARCH_X86, KS_MODE_16), 32: Ks(KS_ARCH_X86, KS_MODE_32)}

    # -- raw assembly with a marker per line ------------------------------------------
    def _raw(self, lines: Sequence[Line], bits: int, base: int, where: str) -> Assembled:
        body, count = marked_source([Line(ln.number, _canonical(ln.text), ln.label)
                                     for ln in lines])
        table = ".long " + ", ".join(MARK.format(i) for i in range(count))
        try:
            encoding, _ = self._ks[bits].asm("\n".join(body + [table]), base)
        except KsError as exc:
            raise QbootError(self._locate(lines, bits, base, where, exc)) from None
        blob = bytes(encoding or b"")
        tail = blob[-4 * count:]
        offsets = [int.from_bytes(tail[4 * i:4 * i + 4], "little") - base for i in range(count)]
        return Assembled(blob[: offsets[-1]], offsets)

    def _locate(self, lines, bits, base, where, exc) -> str:
        labels = local_names(lines)
        for ln in lines:
            if not ln.text:
                continue
            try:
                self._ks[bits].asm(neutralise_labels(_canonical(ln.text), labels, base), base)
            except KsError as e:
                return f"{where}:{ln.number}: keystone cannot assemble '{ln.text}': {e}"
        return f"{where}: keystone failed: {exc}"

    # -- public ---------------------------------------------------------------------------
    def assemble(self, lines: Sequence[Line], bits: int, base: int, where: str) -> Assembled:
        lines = list(lines)
        guard = guard16 if bits == 16 else guard32
        fixed: dict[int, str] = {}  # line index -> original text of a corrected line
        labels = set(local_names(lines))
        for i, ln in enumerate(lines):
            if _numeric_jump(ln.text):  # placeholder displacement, corrected below
                fixed[i] = ln.text
                lines[i] = Line(ln.number, _branch(ln.text, {}, base, 0, False, bits), ln.label)
            elif (m := PUSH_LABEL.fullmatch(ln.text)) and m.group(2) in labels:
                fixed[i] = ln.text  # keystone makes it push imm16, even in 32-bit code
                lines[i] = Line(ln.number, f".byte 0x68\n{DATA[bits // 8]} {m.group(1)}",
                                ln.label)
        for _ in range(16):
            out = self._raw(lines, bits, base, where)
            changes = rebranch(lines, out, base, fixed, bits)
            changes.update(guard(lines, out, base, where, fixed))
            if not changes:
                return out
            for i, text in changes.items():
                fixed.setdefault(i, lines[i].text)
                lines[i] = Line(lines[i].number, text, lines[i].label)
        raise QbootError(f"{where}: the layout did not settle while correcting keystone "
                         f"encodings; use --assembler gnu-as")


def _disasm(code: bytes, offset: int, bits: int = 16):
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_16 if bits == 16 else capstone.CS_MODE_32)
    md.detail = True
    return next(md.disasm(code, offset), None)


def guard32(lines: list[Line], out: Assembled, base: int, where: str,
            fixed: dict[int, str]) -> dict[int, str]:
    """As :func:`guard16`, for 32-bit code: a stray 0x66 is corrected on the descriptor-table
    instructions with an absolute operand, refused elsewhere."""
    changes: dict[int, str] = {}
    for i, ln in enumerate(lines):
        if i in fixed or not ln.is_instruction:
            continue
        start, end = out.line_offsets[i], out.line_offsets[i + 1]
        if out.code[start:start + 1] != b"\x66":
            continue
        insn = _disasm(out.code[start:end], base + start, 32)
        if insn is None or insn.prefix[2] != 0x66:
            continue
        mnem = ln.text.split()[0].lower()
        if mnem in NARROW_MNEMONICS or NARROW_OPERAND.search(ln.text):
            continue
        if "xmm" in insn.op_str and XMM_OPERAND.search(ln.text):
            continue  # SSE2: 0x66 is the mandatory prefix of the xmm form, not a size
        m = re.fullmatch(r"\[\s*(0x[0-9a-f]+|[A-Za-z_][\w.$]*)\s*\]", ln.text[len(mnem):].strip(), re.I)
        if mnem in DESCRIPTOR_TABLE and m:
            modrm = 0x05 | (DESCRIPTOR_TABLE[mnem] << 3)  # mod=00 rm=101: disp32
            changes[i] = f".byte 0x0f, 0x01, {modrm:#04x}\n.long {m.group(1)}"
            continue
        raise QbootError(
            f"{where}:{ln.number}: keystone 0.9.2 mis-encodes the 32-bit instruction "
            f"'{ln.text}' as {insn.bytes.hex(' ')} (a 16-bit operand-size prefix); write it "
            f"with .byte or build with --assembler gnu-as")
    return changes


def guard16(lines: list[Line], out: Assembled, base: int, where: str,
            fixed: dict[int, str]) -> dict[int, str]:
    """Check keystone's 16-bit output line by line; return source rewrites to apply.

    Raises QbootError for an unexpected operand-size prefix it cannot correct.
    ``fixed`` holds lines corrected earlier (their original text), which it leaves to
    :func:`rebranch`.
    """
    labels = out.labels(lines)
    changes: dict[int, str] = {}
    for i, ln in enumerate(lines):
        start, end = out.line_offsets[i], out.line_offsets[i + 1]
        if i in fixed or not ln.is_instruction:
            continue
        insn = _disasm(out.code[start:end], base + start)
        if insn is None or insn.prefix[2] != 0x66:
            continue
        mnem = ln.text.split()[0].lower()
        if mnem in WIDE_MNEMONICS or WIDE_OPERAND.search(ln.text):
            continue
        operand = ln.text[len(mnem):].strip()
        if mnem in ("ret", "retf"):
            op = 0xc3 if mnem == "ret" else 0xcb
            changes[i] = f".byte {op:#x}" if not operand else \
                f".byte {op - 1:#x}, ({operand}) & 0xff, (({operand}) >> 8) & 0xff"
        elif mnem == "push" and insn.op_count(capstone.x86.X86_OP_IMM) == 1:
            value = insn.op_find(capstone.x86.X86_OP_IMM, 1).imm
            v16 = value & 0xFFFF
            changes[i] = (f".byte 0x6a, {v16 & 0xff:#x}" if v16 < 0x80 or v16 >= 0xFF80
                          else f".byte 0x68, {v16 & 0xff:#x}, {v16 >> 8:#x}")
        elif mnem == "call" and insn.bytes[1] == 0xE8:
            changes[i] = _branch(ln.text, labels, base, start, False, 16)
        elif (mnem == "jmp" and insn.bytes[1] == 0xE9) or (mnem in JCC and insn.bytes[1] == 0x0F):
            changes[i] = _branch(ln.text, labels, base, start, False, 16)
        else:
            raise QbootError(
                f"{where}:{ln.number}: keystone 0.9.2 mis-encodes the 16-bit instruction "
                f"'{ln.text}' as {insn.bytes.hex(' ')} (a 32-bit operand-size prefix); write "
                f"it with .byte or build with --assembler gnu-as")
    return changes


def _numeric_jump(text: str) -> bool:
    """Whether ``text`` is a jmp/jcc to a number (another fragment's substituted symbol)."""
    mnem, _, target = text.partition(" ")
    return (mnem.lower() == "jmp" or mnem.lower() in JCC) and \
        re.fullmatch(r"-?(0x[0-9a-fA-F]+|[0-9]+)", target.strip()) is not None


def rebranch(lines: list[Line], out: Assembled, base: int, fixed: dict[int, str],
             bits: int) -> dict[int, str]:
    """Re-encode the branches among the ``fixed`` lines for the current layout: a jump to a
    local label that now fits a short one becomes short, as any assembler would make it;
    the displacement of a near branch to a number follows its line's offset."""
    labels = out.labels(lines)
    changes = {}
    for i, original in fixed.items():
        mnem = original.split()[0].lower()
        if mnem in ("jmp", "call") or mnem in JCC:
            text = _branch(original, labels, base, out.line_offsets[i], mnem != "call", bits)
            if text != lines[i].text:
                changes[i] = text
    return changes


def _branch(text: str, labels: dict[str, int], base: int, at: int, short_ok: bool,
            bits: int) -> str:
    """Explicit encoding of a relative call/jmp/jcc at offset ``at``: a short jump when
    ``short_ok``, the target is a local label and in range (as any assembler would
    choose), rel16/rel32 otherwise.  A local label target stays symbolic; a numeric one
    (another fragment's symbol, already substituted) is turned into a displacement here,
    since keystone cannot subtract ``.`` from a constant."""
    mnem = text.split()[0].lower()
    target = text[len(mnem):].strip()
    if target in labels:
        dest = labels[target]
    else:
        try:
            dest = int(target, 0) - base
        except ValueError:
            raise QbootError(f"cannot re-encode '{text}': target is neither a label "
                             f"nor a number") from None
    if mnem == "call":
        ops = [0xE8]
    elif mnem == "jmp":
        ops = [0xE9]
    else:
        ops = [0x0F, 0x80 | JCC[mnem]]
    short = [0xEB] if mnem == "jmp" else [0x70 | JCC.get(mnem, 0)]
    if short_ok and target in labels and -128 <= dest - (at + 2) <= 127:
        ops, width = short, 1
    else:
        width = bits // 8
    end = at + len(ops) + width
    if target in labels:
        value = f"({target}) - . - {width}"
    else:
        value = hex((dest - end) & ((1 << 8 * width) - 1))
    return f".byte {', '.join(hex(o) for o in ops)}\n{DATA[width]} {value}"
