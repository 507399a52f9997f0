"""Looking inside a built ROM: loading it with its manifest, and disassembling it.

``qboot-fw build`` writes ``bios.bin.toml`` beside ``bios.bin`` (see
:func:`qbootcore.build.manifest`); the tools here trust a ROM only together with the
manifest whose sha256 matches it.  Disassembly uses capstone in the mode of each fragment
(16-bit for ``bits=16`` fragments, 32-bit otherwise) and shows the data lines of code
fragments (strings, tables) as data, since the manifest records which byte ranges they are.
"""

from __future__ import annotations

import difflib
import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import capstone

from .errors import QbootError
from .layout import REGIONS

MODES = {16: capstone.CS_MODE_16, 32: capstone.CS_MODE_32}


def manifest_path(rom: Path) -> Path:
    return rom.with_name(rom.name + ".toml")


def load(rom_path: Path) -> tuple[bytes, dict]:
    """The ROM and its manifest; a QbootError if either is missing or they do not match."""
    rom_path = Path(rom_path)
    man_path = manifest_path(rom_path)
    try:
        rom = rom_path.read_bytes()
    except FileNotFoundError:
        raise QbootError(f"cannot read {rom_path}: no such file") from None
    except OSError as exc:
        raise QbootError(f"cannot read {rom_path}: {exc.strerror}") from None
    try:
        manifest = tomllib.loads(man_path.read_text())
    except FileNotFoundError:
        raise QbootError(f"no manifest {man_path} beside {rom_path}; rebuild the ROM with "
                         f"qboot-fw build -o {rom_path}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise QbootError(f"cannot read manifest {man_path}: {exc}") from None
    if manifest.get("sha256") != hashlib.sha256(rom).hexdigest():
        raise QbootError(f"{rom_path} does not match its manifest {man_path} (sha256 "
                         f"differs); rebuild both with qboot-fw build -o {rom_path}")
    return rom, manifest


@dataclass
class Insn:
    """One disassembled instruction (or, for bytes capstone cannot decode, one byte)."""

    address: int
    data: bytes
    text: str
    values: tuple[int, ...] = ()  # immediates, branch targets and absolute displacements


def _disassembler(bits: int) -> capstone.Cs:
    md = capstone.Cs(capstone.CS_ARCH_X86, MODES[16 if bits == 16 else 32])
    md.detail = True
    return md


def instructions(code: bytes, address: int, bits: int) -> Iterator[Insn]:
    """Disassemble ``code`` loaded at ``address``; undecodable bytes come out as ``.byte``."""
    md = _disassembler(bits)
    disp_mask = 0xFFFF if bits == 16 else 0xFFFFFFFF
    pos = 0
    while pos < len(code):
        decoded = False
        for insn in md.disasm(code[pos:], address + pos):
            decoded = True
            values = []
            for op in insn.operands:
                if op.type == capstone.x86.X86_OP_IMM:
                    values.append(op.imm & 0xFFFFFFFF)
                elif op.type == capstone.x86.X86_OP_MEM and op.mem.disp:
                    values.append(op.mem.disp & disp_mask)
            yield Insn(insn.address, bytes(insn.bytes),
                       f"{insn.mnemonic} {insn.op_str}".strip(), values=tuple(values))
            pos += insn.size
        if not decoded:
            yield Insn(address + pos, code[pos:pos + 1], f".byte {code[pos]:#04x}")
            pos += 1


def instruction(code: bytes, at: int, address: int, bits: int) -> str:
    """The instruction at offset ``at`` as ``bytes  text``, for messages."""
    insn = next(instructions(code[at:at + 15], address + at, bits), None)
    return f"{insn.data.hex(' ')}  {insn.text}" if insn else "(end of fragment)"


def data_lines(code: bytes, address: int) -> Iterator[tuple[int, bytes, str]]:
    """Data bytes as (address, bytes, text): NUL-terminated printable runs as ``.asciz``,
    everything else as rows of up to 8 ``.byte`` values."""
    pos = 0
    while pos < len(code):
        end = code.find(b"\0", pos)
        text = code[pos:end] if end >= 0 else b""
        if len(text) >= 3 and all(32 <= c < 127 for c in text):
            quoted = text.decode().replace("\\", "\\\\").replace('"', '\\"')
            yield address + pos, code[pos:end + 1], f'.asciz "{quoted}"'
            pos = end + 1
            continue
        row = code[pos:pos + 8]
        yield address + pos, row, ".byte " + ", ".join(f"{c:#04x}" for c in row)
        pos += len(row)


# ---------------------------------------------------------------------------------------
# Summaries and listings, for ``qboot-fw inspect`` and ``qboot-fw disasm``

def summary(manifest: dict, top: int = 5) -> dict:
    """Regions with used and free bytes, and per plugin its ROM/RAM bytes and its ``top``
    largest ROM fragments."""
    regions = []
    for name, r in manifest["regions"].items():
        in_rom = REGIONS[name].in_rom if name in REGIONS else True
        regions.append({"name": name, "start": r["start"], "end": r["start"] + r["size"],
                        "size": r["size"], "used": r["used"], "free": r["size"] - r["used"],
                        "in_rom": in_rom})
    plugins: dict[str, dict] = {}
    for f in manifest["fragments"]:
        p = plugins.setdefault(f["owner"], {"name": f["owner"], "rom_bytes": 0,
                                            "ram_bytes": 0, "fragments": []})
        if f["region"] == "bss":
            p["ram_bytes"] += f["size"]
        else:
            p["rom_bytes"] += f["size"]
            p["fragments"].append({k: f[k] for k in ("name", "region", "address", "size")})
    for p in plugins.values():
        p["fragments"] = sorted(p["fragments"], key=lambda f: (-f["size"], f["name"]))[:top]
    keys = ("board", "machine", "loaders", "plugins", "assembler", "qboot_fw_version",
            "sha256", "rom_size", "rom_bytes_used")
    return {**{k: manifest.get(k) for k in keys}, "regions": regions,
            "by_plugin": sorted(plugins.values(), key=lambda p: (-p["rom_bytes"], p["name"]))}


class Symbolizer:
    """Names for addresses: ``label`` or ``label+0x4`` within the fragment holding them."""

    def __init__(self, manifest: dict) -> None:
        self.frags = [f for f in manifest["fragments"] if f["size"]]
        self.globals = {a: n for n, a in sorted(manifest["symbols"].items(), reverse=True)}

    def name(self, address: int) -> str | None:
        if address in self.globals:
            return self.globals[address]
        for f in self.frags:
            off = address - f["address"]
            if 0 <= off < f["size"]:
                label, at = max(((n, o) for n, o in f["labels"].items() if o <= off),
                                key=lambda x: x[1], default=(f["name"], 0))
                return label if at == off else f"{label}+{off - at:#x}"
        return None


def find(manifest: dict, symbol: str) -> list[tuple[dict, int, int]]:
    """(fragment, start, end) offsets to list for ``symbol``: a fragment name, or a label up
    to the next global label of its fragment.  A QbootError names close matches if none."""
    out = []
    globals_ = manifest["symbols"]
    for f in manifest["fragments"]:
        if f["kind"] == "bss":
            continue
        if f["name"] == symbol:
            out.append((f, 0, f["size"]))
        elif symbol in f["labels"]:
            start = f["labels"][symbol]
            ends = [o for n, o in f["labels"].items()
                    if o > start and globals_.get(n) == f["address"] + o]
            out.append((f, start, min(ends, default=f["size"])))
    if not out:
        known = set(globals_) | {f["name"] for f in manifest["fragments"]} | \
            {n for f in manifest["fragments"] for n in f["labels"]}
        close = difflib.get_close_matches(symbol, sorted(known), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise QbootError(f"no fragment or label named {symbol!r} in this ROM{hint}")
    return out


def listing(rom: bytes, manifest: dict, symbol: str | None = None) -> Iterator[str]:
    """Disassembly with symbol names, fragment by fragment in ROM order (or only what
    ``symbol`` names): code in the fragment's mode, data as ``.asciz``/``.byte``."""
    frags = manifest["fragments"]
    if any("bits" not in f or "kind" not in f for f in frags):
        raise QbootError("the manifest was written by an older qboot-fw and lacks fragment "
                         "modes; rebuild the ROM")
    parts = find(manifest, symbol) if symbol else \
        [(f, 0, f["size"]) for f in sorted(frags, key=lambda f: f["offset"])
         if f["kind"] != "bss" and f["size"]]
    names = Symbolizer(manifest)
    for f, lo, hi in parts:
        yield (f"\n; fragment {f['name']} of {f['owner']}: {f['region']}, {f['bits']}-bit "
               f"{f['kind']}, {f['size']} bytes from {f['origin']}")
        labels: dict[int, list[str]] = {}
        for label, off in f["labels"].items():
            labels.setdefault(off, []).append(label)
        data = [(0, f["size"])] if f["kind"] == "data" else [tuple(d) for d in f["data"]]
        cuts = sorted({lo, hi} | {o for o in labels if lo < o < hi} |
                      {o for d in data for o in d if lo < o < hi})
        for a, b in zip(cuts, cuts[1:]):
            for label in labels.get(a, ()):
                yield f"{label}:"
            code = rom[f["offset"] + a:f["offset"] + b]
            address = f["address"] + a
            if any(s <= a < e for s, e in data):
                items = ((addr, raw, text, ()) for addr, raw, text in data_lines(code, address))
            else:
                items = ((i.address, i.data, i.text, i.values)
                         for i in instructions(code, address, f["bits"]))
            for addr, raw, text, values in items:
                if f["bits"] == 16:  # offsets in the code segment (CS = the alias's base)
                    values += tuple((addr & ~0xFFFF) + v for v in values if v <= 0xFFFF)
                notes = list(dict.fromkeys(n for n in map(names.name, values) if n))
                note = f"  ; {', '.join(notes)}" if notes else ""
                yield f"  {addr:08x}  {raw[:8].hex(' '):<24} {text}{note}"
