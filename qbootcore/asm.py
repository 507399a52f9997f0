"""Assembly source handling shared by every backend.

The core, not the assembler, resolves everything that crosses a fragment boundary: before a
backend sees a fragment, :func:`prepare` strips comments, splits ``label: insn`` lines,
collects ``.global`` declarations and replaces every named constant and every symbol of
another fragment with its numeric value.  Backends therefore assemble self-contained text
in which only the fragment's own labels are symbolic, which is what lets two different
assemblers produce the same bytes.

Source conventions (docs/fragments.md): Intel syntax without ``%`` prefixes; ``;`` starts a
comment; one statement per line; allowed directives are listed in ``DIRECTIVES``.
:func:`check_portable` refuses, naming the line, what keystone and GNU as would assemble
differently (operator precedence, string escapes, values out of range, ...).
"""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import QbootError

IDENT = re.compile(r"[A-Za-z_.$][A-Za-z0-9_.$]*")
LABEL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.$]*):(.*)$")
NUMBER = re.compile(r"^(0x[0-9a-fA-F]+|0b[01]+|[0-9]+)$")

#: data directives both backends accept with the same meaning
DIRECTIVES = {".byte", ".word", ".long", ".quad", ".ascii", ".asciz", ".fill", ".zero",
              ".space"}
FORBIDDEN = {
    ".align": "align the fragment instead (Fragment(align=N)): assemblers pad differently",
    ".balign": "align the fragment instead (Fragment(align=N)): assemblers pad differently",
    ".p2align": "align the fragment instead (Fragment(align=N)): assemblers pad differently",
    ".code16": "set bits=16 on the Fragment instead",
    ".code32": "set bits=32 on the Fragment instead",
    ".section": "choose the Fragment's region instead",
    ".org": "choose the Fragment's region instead",
    ".set": "put named constants in a constants (.inc) file",
    ".equ": "put named constants in a constants (.inc) file",
}

REGISTERS = set("""
al ah ax eax bl bh bx ebx cl ch cx ecx dl dh dx edx si esi di edi sp esp bp ebp
cs ds es fs gs ss cr0 cr2 cr3 cr4 dr0 dr1 dr2 dr3 dr6 dr7 st
""".split())
KEYWORDS = {"byte", "word", "dword", "qword", "tbyte", "ptr", "short", "near", "far"}
PREFIXES = {"rep", "repe", "repz", "repne", "repnz", "lock"}
#: conditional jumps and their condition codes (the low nibble of 0x70+cc / 0x0F 0x80+cc)
JCC = {"jo": 0, "jno": 1, "jb": 2, "jc": 2, "jnae": 2, "jae": 3, "jnb": 3, "jnc": 3,
       "je": 4, "jz": 4, "jne": 5, "jnz": 5, "jbe": 6, "jna": 6, "ja": 7, "jnbe": 7,
       "js": 8, "jns": 9, "jp": 10, "jpe": 10, "jnp": 11, "jpo": 11, "jl": 12, "jnge": 12,
       "jge": 13, "jnl": 13, "jle": 14, "jng": 14, "jg": 15, "jnle": 15}
#: branches that only have a rel8 form, so can only reach labels of their own fragment
SHORT_BRANCHES = {"jcxz", "jecxz", "loop", "loope", "loopz", "loopne", "loopnz"}
#: relative branches: their operand is a target, not a value
BRANCHES = {"jmp", "call"} | set(JCC) | SHORT_BRANCHES


@dataclass
class Line:
    """One statement of a fragment, with where it came from."""

    number: int  # 1-based line in the origin file
    text: str  # after substitution
    label: str | None = None  # a label defined on this line (the statement may be empty)

    @property
    def is_instruction(self) -> bool:
        return bool(self.text) and not self.text.startswith(".")


def strip_comment(text: str) -> str:
    """Drop a ``;`` comment, leaving ``;`` inside string literals alone."""
    quote = False
    for i, ch in enumerate(text):
        if ch == '"' and (i == 0 or text[i - 1] != "\\"):
            quote = not quote
        elif ch == ";" and not quote:
            return text[:i].rstrip()
    return text.rstrip()


def _split_strings(text: str) -> list[tuple[bool, str]]:
    """Split into (is_string, piece) so substitution never touches string literals."""
    parts, cur, quote = [], "", False
    for i, ch in enumerate(text):
        if ch == '"' and (i == 0 or text[i - 1] != "\\"):
            if quote:
                parts.append((True, cur + ch))
                cur = ""
            else:
                parts.append((False, cur))
                cur = ch
            quote = not quote
        else:
            cur += ch
    parts.append((quote, cur))
    return parts


def split_operands(text: str) -> list[str]:
    """Split an operand list at the commas that are outside strings, brackets and parens."""
    if not text.strip():
        return []
    out, cur, depth = [], "", 0
    for is_str, piece in _split_strings(text):
        if is_str:
            cur += piece
            continue
        for ch in piece:
            depth += (ch in "([") - (ch in ")]")
            if ch == "," and depth == 0:
                out.append(cur)
                cur = ""
            else:
                cur += ch
    return out + [cur]


@dataclass(frozen=True)
class BssVar:
    """``.bss name, size[, align]``: a zero-initialised firmware RAM variable; ``.noinit``
    the same without the zeroing, for buffers that are always written before they are read
    (zeroing firmware RAM costs boot time).  The name is a global symbol; size and align are
    constant expressions."""

    name: str
    size: str
    align: str
    number: int
    zeroed: bool = True


def scan(source: str, where: str) -> tuple[list[Line], list[str], list[str], list[BssVar]]:
    """First pass: comments, labels, ``.global``, ``.bss``; no substitution yet."""
    lines: list[Line] = []
    labels: list[str] = []
    globals_: list[str] = []
    bss: list[BssVar] = []
    for number, raw in enumerate(source.splitlines(), 1):
        text = strip_comment(raw).strip()
        while text:
            m = LABEL.match(text)
            if not m:
                break
            name, text = m.group(1), m.group(2).strip()
            if name in labels:
                raise QbootError(f"{where}:{number}: label {name!r} defined twice in one fragment")
            labels.append(name)
            lines.append(Line(number, "", label=name))
        if not text:
            continue
        word = text.split(None, 1)[0].lower()
        if word == ".global" or word == ".globl":
            globals_.extend(n.strip() for n in text.split(None, 1)[1].split(","))
            continue
        if word in (".bss", ".noinit"):
            args = [a.strip() for a in text.split(None, 1)[1].split(",")] if " " in text else []
            if len(args) not in (2, 3) or not re.fullmatch(r"[A-Za-z_]\w*", args[0]):
                raise QbootError(f"{where}:{number}: expected '{word} name, size[, align]'")
            bss.append(BssVar(args[0], args[1], args[2] if len(args) == 3 else "4", number,
                              zeroed=word == ".bss"))
            continue
        if word in FORBIDDEN:
            raise QbootError(f"{where}:{number}: {word} is not allowed in fragments; "
                             f"{FORBIDDEN[word]}")
        if word.startswith(".") and word not in DIRECTIVES:
            raise QbootError(f"{where}:{number}: unknown directive {word}; "
                             f"use one of {', '.join(sorted(DIRECTIVES))}")
        lines.append(Line(number, text))
    bss_names = {v.name for v in bss}
    for g in globals_:
        if g not in labels and g not in bss_names:
            raise QbootError(f"{where}: .global {g} names no label of this fragment")
    # .bss variables are always global; listing them in .global only documents that
    globals_ = [g for g in globals_ if g not in bss_names]
    return lines, labels, globals_, bss


def substitute(lines: list[Line], labels: list[str], values: dict[str, int],
               where: str) -> list[Line]:
    """Replace constants and other fragments' symbols by numbers; report unknown names."""
    local = frozenset(labels)
    out = []
    for line in lines:
        if not line.text:
            out.append(line)
            continue
        head, _, rest = line.text.partition(" ")
        words = [head]
        while head.lower() in PREFIXES and rest:
            head, _, rest = rest.strip().partition(" ")
            words.append(head)
        pieces = []
        for is_str, piece in _split_strings(rest):
            if is_str:
                pieces.append(piece)
                continue

            def repl(m: re.Match) -> str:
                name = m.group(0)
                low = name.lower()
                if name in local or low in REGISTERS or low in KEYWORDS or name == ".":
                    return name
                if name in values:
                    return hex(values[name])
                raise QbootError(f"{where}:{line.number}: undefined symbol {name!r} in "
                                 f"'{line.text}'; define it as a label (with .global if "
                                 f"another fragment needs it) or a named constant")

            pieces.append(re.sub(r"(?<![0-9A-Za-z_])" + IDENT.pattern, repl, piece))
        rest = "".join(pieces).strip()
        check_portable(head.lower(), rest, local, f"{where}:{line.number}: '{line.text}'")
        rest = fold_constants(rest)
        out.append(Line(line.number, " ".join(words) + (" " + rest if rest else ""), line.label))
    return out


NUMERIC_EXPR = re.compile(r"[0-9a-fA-FxXbB()+\-*/%<>|&^~\s]+")
BRACKETED = re.compile(r"^(?P<pre>[^\[]*\[)(?P<body>[^\]]*)(?P<post>\].*)$", re.S)


def _fold(expr: str) -> str | None:
    """The value of a constant expression as a number, or None when it is not one (it
    names a register or label, or is a plain number already)."""
    text = expr.strip()
    if not text or not NUMERIC_EXPR.fullmatch(text) or NUMBER.fullmatch(text):
        return None
    try:
        value = evaluate(text, {}, "")
    except QbootError:
        return None
    return hex(value) if value >= 0 else "-" + hex(-value)


def fold_constants(rest: str) -> str:
    """Evaluate the operands (and memory-operand contents) that are constant expressions,
    so that no backend parses shift or bitwise arithmetic: keystone 0.9.2 was seen to refuse
    such expressions intermittently ("Invalid operand") inside a long-running process.
    check_portable has already made the precedence unambiguous."""
    if not rest or '"' in rest:
        return rest
    ops = split_operands(rest)
    changed = False
    for i, op in enumerate(ops):
        folded = _fold(op)
        if folded is not None:
            ops[i], changed = " " + folded if i else folded, True
            continue
        m = BRACKETED.match(op)
        if m and (folded := _fold(m.group("body"))) is not None:
            ops[i], changed = m.group("pre") + folded + m.group("post"), True
    return ",".join(ops) if changed else rest


# ---------------------------------------------------------------------------------------
# Portability: constructs the backends would assemble differently are refused up front.

ESCAPE = re.compile(r'\\([\\"bfnrt]|[0-7]{1,3})')
TOKEN = re.compile(r"0x[0-9a-fA-F]+|0b[01]+|[0-9]+|[A-Za-z_.$][\w.$]*|<<|>>|\S")
#: GNU as ranks these operators unlike C (and keystone): ``1 + 2 << 3`` is 17, not 24
BITWISE = {"<<", ">>", "&", "|", "^"}
BINARY = BITWISE | {"+", "-", "*", "/", "%"}
NOT_AN_OPERAND = BINARY | {"(", "[", "~"}  # after these, + and - are unary
DATA_RANGE = {".byte": 8, ".word": 16, ".long": 32}
REG8 = {"al", "ah", "bl", "bh", "cl", "ch", "dl", "dh"}
REG16 = {"ax", "bx", "cx", "dx", "si", "di", "sp", "bp", "cs", "ds", "es", "fs", "gs", "ss"}
#: instructions whose immediate does not take the size of their first operand
OWN_IMMEDIATE = {"shl", "shr", "sal", "sar", "rol", "ror", "rcl", "rcr", "in", "out", "int",
                 "enter", "ret", "retf", "bt", "bts", "btr", "btc"}


def _check_expression(expr: str, local: frozenset[str], bare: bool, bits: int | None,
                      what: str) -> None:
    """One operand or data item: unambiguous operator precedence; a local label, if any, at
    the start of an immediate; a numeric value that fits ``bits``."""
    tokens = TOKEN.findall(expr)
    groups: list[set[str]] = [set()]
    prev = None
    for tok in tokens:
        if tok in "([":
            groups.append(set())
        elif tok in ")]" and len(groups) > 1:
            groups.pop()
        elif tok in BINARY and prev is not None and prev not in NOT_AN_OPERAND:
            ops = groups[-1] | {tok}
            if ops & BITWISE and len(ops) > 1:
                raise QbootError(f"{what}: operators {' and '.join(sorted(ops))} are mixed "
                                 f"without parentheses, and GNU as ranks them unlike C; "
                                 f"add parentheses")
            groups[-1] = ops
        prev = tok
    names = [t for t in tokens if t in local or t == "."]
    first = next((t for t in tokens if t != "("), None)
    if bare and names and first not in names:
        raise QbootError(f"{what}: put the label first in '{expr.strip()}' (e.g. 'label + 4'): "
                         f"keystone mis-assembles a label after a number or operator")
    if bits and not names:
        try:
            value = evaluate(expr, {}, what)
        except QbootError:
            return  # not a plain number (a register, a character, ...): the assembler checks
        if not -(1 << bits - 1) <= value < (1 << bits):
            raise QbootError(f"{what}: {expr.strip()} does not fit in {bits} bits (keystone "
                             f"and GNU as would truncate it differently)")


@lru_cache(maxsize=1 << 16)  # the linker substitutes every line once per pass
def check_portable(mnem: str, rest: str, local: frozenset[str], what: str) -> None:
    """Refuse what keystone and GNU as would assemble differently (or one of them wrongly):
    string escapes other than the common ones, precedence that differs between them, a
    local label that is not first in an immediate, a value too large for its directive or
    register, and a rel8-only branch to something outside the fragment."""
    for is_str, piece in _split_strings(rest):
        if is_str and re.search(r"\\", ESCAPE.sub("", piece)):
            raise QbootError(f"{what}: unsupported escape in a string; the portable ones are "
                             f"\\b \\f \\n \\r \\t \\\\ \\\" and octal \\ooo")
    ops = [op for op in split_operands(rest) if '"' not in op]
    if mnem in SHORT_BRANCHES and ops and ops[0].strip() not in local:
        raise QbootError(f"{what}: {mnem} only reaches labels of its own fragment (it has "
                         f"no rel32 form); jump to a local label that jumps on")
    if mnem.startswith("."):
        bits = DATA_RANGE.get(mnem)
        for i, op in enumerate(ops):
            fill = mnem in (".space", ".zero") and i == 1
            _check_expression(op, local, True, 8 if fill else bits, what)
        return
    size = 32
    if ops:
        dest = ops[0].lower().split()
        size = 8 if set(dest) & REG8 or "byte" in dest else 16 if \
            set(dest) & REG16 or "word" in dest else 32
    for i, op in enumerate(ops):
        body = re.sub(r"^\s*((byte|word|dword|qword|tbyte)\s+ptr|short|near|far)\s+", "", op,
                      flags=re.I)
        bare = "[" not in body and mnem not in BRANCHES
        imm_bits = size if i == len(ops) - 1 and i > 0 and mnem not in OWN_IMMEDIATE else 32
        _check_expression(body, local, bare, imm_bits if bare else None, what)


# ---------------------------------------------------------------------------------------
# Named constants: files of ``NAME = expression   ; where the value comes from``

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.FloorDiv: operator.floordiv, ast.Div: operator.floordiv, ast.LShift: operator.lshift,
        ast.RShift: operator.rshift, ast.BitOr: operator.or_, ast.BitAnd: operator.and_,
        ast.BitXor: operator.xor, ast.Mod: operator.mod}


def evaluate(expr: str, names: dict[str, int], where: str) -> int:
    """Evaluate an integer constant expression over earlier constants."""
    def ev(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in names:
                raise QbootError(f"{where}: unknown constant {node.id!r}")
            return names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Invert)):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else ~v
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "ord" and \
                len(node.args) == 1 and isinstance(node.args[0], ast.Constant):
            return ord(node.args[0].value)
        raise QbootError(f"{where}: not an integer constant expression: {expr!r}")
    try:
        return ev(ast.parse(expr.strip(), mode="eval").body)
    except SyntaxError:
        raise QbootError(f"{where}: not an integer constant expression: {expr!r}") from None


def load_constants(paths, into: dict[str, int] | None = None) -> dict[str, int]:
    """Read constants files in order; a name may be defined once only."""
    names = dict(into or {})
    origin: dict[str, str] = {}
    for path in paths:
        for number, raw in enumerate(Path(path).read_text().splitlines(), 1):
            text = strip_comment(raw).strip()
            if not text:
                continue
            where = f"{path}:{number}"
            name, eq, expr = text.partition("=")
            name = name.strip()
            if not eq or not re.fullmatch(r"[A-Z_][A-Z0-9_]*", name):
                raise QbootError(f"{where}: expected 'NAME = value' with an upper-case name")
            if name in names and names[name] != evaluate(expr, names, where):
                raise QbootError(f"{where}: constant {name} redefined with another value "
                                 f"(first in {origin.get(name, 'the core')})")
            names[name] = evaluate(expr, names, where)
            origin.setdefault(name, where)
    return names
