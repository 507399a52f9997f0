"""The ROM as an ELF32 file for debuggers: ``bios.bin.elf`` beside ``bios.bin``.

It holds no code of its own, only the ROM's bytes and symbols at their run-time addresses,
so that gdb attached to QEMU's gdbstub can break on firmware symbols (docs/tools.md):

* ``.rom``: the whole ROM at the high alias (0xFFFF0000), where 32-bit code runs and the
  CPU fetches its first instruction (0xFFFFFFF0);
* ``.fseg``: the ROM regions that run from the F-segment alias below 1 MiB (16-bit code and
  tables), at that alias;
* ``.bss``: firmware RAM (no bytes).

Every label of every fragment becomes a symbol: ``.global`` ones STB_GLOBAL, the others
STB_LOCAL; code as STT_FUNC, data (data fragments, directive lines, bss) as STT_OBJECT,
sized up to the next label.  Labels in the F-segment alias get a second, local symbol at
the high alias: after reset CS has selector 0xF000 but base 0xFFFF0000, so the reset
vector and the 16-bit code it jumps to run there until the far jump to 32-bit code.  pyelftools only reads ELF, so this is a small writer.
"""

from __future__ import annotations

import struct

from .layout import FSEG_ALIAS, HIGH_ALIAS, REGIONS, RESET_OFFSET, ROM_SIZE

SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_NOBITS = 1, 2, 3, 8
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4
STB_LOCAL, STB_GLOBAL = 0, 1
STT_NOTYPE, STT_OBJECT, STT_FUNC = 0, 1, 2
SHN_ABS = 0xFFF1
EM_386, ET_EXEC = 3, 2


class _Strings:
    """An ELF string table under construction."""

    def __init__(self) -> None:
        self.data = bytearray(b"\0")

    def add(self, name: str) -> int:
        self.data += name.encode() + b"\0"
        return len(self.data) - len(name.encode()) - 1


def _sections(rom: bytes, manifest: dict) -> list[tuple]:
    """(name, type, flags, address, contents or size) of the ROM and RAM sections."""
    fseg = [r for r in REGIONS.values() if r.in_rom and r.alias == FSEG_ALIAS]
    start, end = min(r.start for r in fseg), max(r.end for r in fseg)
    bss = manifest["regions"]["bss"]
    return [(".rom", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, HIGH_ALIAS, rom),
            (".fseg", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, FSEG_ALIAS + start,
             rom[start:end]),
            (".bss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, bss["start"], bss["used"])]


def symbols(manifest: dict) -> list[tuple[str, int, int, int, int]]:
    """(name, address, size, bind, type) of every label in the manifest, then the global
    symbols no fragment label carries (such as ``__bss_start``) as untyped."""
    out, seen = [], set()
    globals_ = manifest["symbols"]
    for f in manifest["fragments"]:
        offsets = sorted(set(f.get("labels", {}).values()) | {f["size"]})
        for name, off in f.get("labels", {}).items():
            address = f["address"] + off
            size = next((o for o in offsets if o > off), off) - off
            in_data = any(a <= off < b for a, b in f.get("data", []))
            kind = STT_FUNC if f.get("kind") == "code" and not in_data else STT_OBJECT
            bind = STB_LOCAL
            if globals_.get(name) == address:
                bind = STB_GLOBAL
                seen.add(name)
            out.append((name, address, size, bind, kind))
            if FSEG_ALIAS <= address < FSEG_ALIAS + ROM_SIZE:  # also where it runs at reset
                out.append((name, address - FSEG_ALIAS + HIGH_ALIAS, size, STB_LOCAL, kind))
    out += [(n, a, 0, STB_GLOBAL, STT_NOTYPE) for n, a in globals_.items() if n not in seen]
    return sorted(out, key=lambda s: (s[3], s[1], s[0]))  # locals first, as ELF requires


def rom_elf(rom: bytes, manifest: dict) -> bytes:
    """The ELF32 image: header, section contents, symbol table, section headers."""
    sections = _sections(rom, manifest)
    shstr, strtab = _Strings(), _Strings()
    names = [shstr.add(s[0]) for s in sections]
    body = bytearray(52)  # the ELF header goes here at the end
    headers = [bytes(40)]  # section 0
    for (name, kind, flags, addr, content), name_off in zip(sections, names):
        size = content if kind == SHT_NOBITS else len(content)
        headers.append(struct.pack("<10I", name_off, kind, flags, addr, len(body), size,
                                   0, 0, 16, 0))
        if kind != SHT_NOBITS:
            body += content
    index = {s[0]: i + 1 for i, s in enumerate(sections)}

    def section_of(address: int) -> int:
        for name, kind, _, addr, content in sections:
            size = content if kind == SHT_NOBITS else len(content)
            if addr <= address <= addr + size:
                return index[name]
        return SHN_ABS

    table = bytearray(16)  # symbol 0
    syms = symbols(manifest)
    first_global = 1 + sum(1 for s in syms if s[3] == STB_LOCAL)
    for name, address, size, bind, kind in syms:
        table += struct.pack("<IIIBBH", strtab.add(name), address, size, (bind << 4) | kind,
                             0, section_of(address))
    symtab_index = len(headers)
    for name, kind, data, link, info, align, entsize in (
            (".symtab", SHT_SYMTAB, table, symtab_index + 1, first_global, 4, 16),
            (".strtab", SHT_STRTAB, strtab.data, 0, 0, 1, 0),
            (".shstrtab", SHT_STRTAB, None, 0, 0, 1, 0)):
        name_off = shstr.add(name)
        data = shstr.data if data is None else data
        headers.append(struct.pack("<10I", name_off, kind, 0, 0, len(body), len(data), link,
                                   info, align, entsize))
        body += data
    body += bytes(-len(body) % 4)
    shoff = len(body)
    body += b"".join(headers)
    body[:52] = struct.pack("<4sBBBB8xHHIIIIIHHHHHH", b"\x7fELF", 1, 1, 1, 0, ET_EXEC, EM_386,
                            1, HIGH_ALIAS + RESET_OFFSET, 0, shoff, 0, 52, 0, 0, 40,
                            len(headers), len(headers) - 1)
    return bytes(body)
