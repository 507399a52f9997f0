"""The ``gnu-as`` backend: GNU binutils ``as``, the assembler installed on the machine.

Each prepared fragment is written out as GNU assembler input (``.intel_syntax noprefix``,
``.code16``/``.code32``) with a marker label before every line, assembled with ``as --32``
into an ELF object, and read back with pyelftools: the ``.text`` bytes, the marker symbols
(which give each line's offset) and the relocations in ``.rel.text``, which are applied here
for the fragment's load address.

Two spellings differ between the fragment dialect (which keystone defines) and GNU as:

* a bare local label as an instruction operand (``mov esi, msg``) is its address in the
  fragment dialect but a memory operand to GNU as, so it is written ``offset (msg)``;
* a 16-bit relative branch to a number (another fragment's symbol, already substituted) is
  written relative to the fragment's first marker with a ``{disp16}`` prefix, because a
  16-bit REL relocation cannot hold an addend as large as a linear address.  Like any
  branch to another fragment, it keeps its near form (rel16; rel32 in 32-bit code, where
  GNU as emits an ``R_386_PC32`` against ``*ABS*``).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

from elftools.elf.elffile import ELFFile

from ..asm import BRANCHES, Line, split_operands
from ..errors import QbootError
from . import Assembled, MARK

#: names under which an x86 GNU as may be installed, most likely first
AS_NAMES = ("as", "x86_64-linux-gnu-as", "i686-linux-gnu-as")
#: i386 relocation types: number -> (name, width in bytes, pc-relative)
RELOCS = {1: ("R_386_32", 4, False), 2: ("R_386_PC32", 4, True),
          20: ("R_386_16", 2, False), 21: ("R_386_PC16", 2, True),
          22: ("R_386_8", 1, False), 23: ("R_386_PC8", 1, True)}
NUMBER = re.compile(r"-?(0x[0-9a-fA-F]+|0b[01]+|[0-9]+)")
MESSAGE = re.compile(r"^[^:]*:(\d+): (Error|Warning): (.*)$")


def find_as() -> str:
    """Path of GNU as, or a QbootError saying how to install it."""
    for name in AS_NAMES:
        path = shutil.which(name)
        if path:
            return path
    raise QbootError("GNU as not found; install binutils (apt-get install binutils)")


def gas_text(line: Line, bits: int, base: int, labels: set[str]) -> str:
    """One statement in GNU as spelling (see the module docstring)."""
    text = line.text
    if not line.is_instruction:
        return text
    mnem, _, rest = text.partition(" ")
    low = mnem.lower()
    if low in BRANCHES:
        if bits == 16 and NUMBER.fullmatch(rest.strip()):
            return f"{{disp16}} {mnem} {MARK.format(0)} + {int(rest, 0) - base:#x}"
        return text
    ops = split_operands(rest)
    for i, op in enumerate(ops):
        bare = "[" not in op and not re.search(r"\bptr\b", op, re.I)
        names = re.findall(r"(?<![\w.$])[A-Za-z_.$][\w.$]*", op)
        if bare and any(name in labels or name == "." for name in names):
            ops[i] = f"offset ({op.strip()})"
    return f"{mnem} {', '.join(o.strip() for o in ops)}" if ops else text


class GnuAsAssembler:
    name = "gnu-as"

    def __init__(self) -> None:
        self._as = find_as()
        self._cache: dict[tuple, Assembled] = {}  # the linker re-assembles unchanged input

    def assemble(self, lines: Sequence[Line], bits: int, base: int, where: str) -> Assembled:
        lines = list(lines)
        key = (bits, base, tuple((ln.text, ln.label) for ln in lines))
        if key not in self._cache:
            self._cache[key] = self._assemble(lines, bits, base, where)
        return self._cache[key]

    def _assemble(self, lines: list[Line], bits: int, base: int, where: str) -> Assembled:
        """Write, assemble and read back one fragment (see the module docstring)."""
        labels = {ln.label for ln in lines if ln.label}
        source = [".intel_syntax noprefix", f".code{bits}", ".text"]
        origin: dict[int, int] = {}  # generated line number (1-based) -> index into lines
        for i, ln in enumerate(lines):
            source.append(f"{MARK.format(i)}:")
            if ln.label:
                source.append(f"{ln.label}:")
            if ln.text:
                source.append(gas_text(ln, bits, base, labels))
                origin[len(source)] = i
        source.append(f"{MARK.format(len(lines))}:")
        obj = self._run("\n".join(source) + "\n", lines, origin, where)
        return self._link(obj, lines, base, where)

    def _run(self, source: str, lines: list[Line], origin: dict[int, int],
             where: str) -> bytes:
        """Assemble ``source``; return the object file or raise naming the source line."""
        with tempfile.TemporaryDirectory(prefix="qboot-as-") as tmp:
            src, obj = Path(tmp) / "fragment.s", Path(tmp) / "fragment.o"
            src.write_text(source)
            proc = subprocess.run([self._as, "--32", "--fatal-warnings", "-o", str(obj),
                                   str(src)], capture_output=True, text=True)
            if proc.returncode == 0:
                return obj.read_bytes()
        for msg in proc.stderr.splitlines():
            m = MESSAGE.match(msg)
            if m and int(m.group(1)) in origin:
                ln = lines[origin[int(m.group(1))]]
                raise QbootError(f"{where}:{ln.number}: GNU as cannot assemble "
                                 f"'{ln.text}': {m.group(3)}")
        detail = "; ".join(s for s in proc.stderr.splitlines() if "Assembler messages" not in s)
        raise QbootError(f"{where}: GNU as failed: {detail or f'exit status {proc.returncode}'}")

    def _link(self, obj: bytes, lines: list[Line], base: int, where: str) -> Assembled:
        """Read the object: line offsets from the markers, code with relocations applied."""
        elf = ELFFile(io.BytesIO(obj))
        text = elf.get_section_by_name(".text")
        text_index = elf.get_section_index(".text")
        code = bytearray(text.data())
        symtab = elf.get_section_by_name(".symtab")
        marks = {s.name: s["st_value"] for s in symtab.iter_symbols()
                 if s.name.startswith(MARK.format(""))}
        offsets = [marks[MARK.format(i)] for i in range(len(lines) + 1)]
        rel = elf.get_section_by_name(".rel.text")
        for r in rel.iter_relocations() if rel else ():
            at, kind, index = r["r_offset"], r["r_info_type"], r["r_info_sym"]
            line = next(lines[i] for i in range(len(lines)) if offsets[i + 1] > at)
            if kind not in RELOCS:
                raise QbootError(f"{where}:{line.number}: GNU as emitted relocation type "
                                 f"{kind} for '{line.text}', which qboot-fw cannot apply")
            name, width, pc = RELOCS[kind]
            sym = symtab.get_symbol(index)
            if index == 0 or sym["st_shndx"] == "SHN_ABS":
                value = sym["st_value"] if index else 0
            elif sym["st_shndx"] == text_index:
                value = base + sym["st_value"]
            else:
                raise QbootError(f"{where}:{line.number}: '{line.text}' refers to "
                                 f"{sym.name!r}, which is not defined in this fragment")
            value += int.from_bytes(code[at:at + width], "little", signed=True)
            if pc:  # as the CPU computes it: modulo 2**32, then signed
                value = (value - base - at + (1 << 31)) % (1 << 32) - (1 << 31)
            bits = 8 * width
            high = 1 << (bits - 1 if pc else bits)  # a displacement is signed
            if width < 4 and not -(1 << bits - 1) <= value < high:
                raise QbootError(f"{where}:{line.number}: '{line.text}': {name} value "
                                 f"{value:#x} does not fit in {width} byte(s)")
            code[at:at + width] = (value & ((1 << 8 * width) - 1)).to_bytes(width, "little")
        return Assembled(bytes(code[:offsets[-1]]), offsets)
