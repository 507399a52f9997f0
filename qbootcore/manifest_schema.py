"""The manifest's schema, checked before ``qboot-fw inspect`` / ``disasm`` trust it.

A manifest is written by :func:`qbootcore.build.manifest`; a hand-edited one may still
match the ROM's sha256 (the hash covers the ROM, not the manifest).  :func:`check` refuses,
with one line naming the field, anything the tools would otherwise trip over: a missing or
mistyped field, a fragment or label outside the ROM or its fragment, an unknown mode.
"""

from __future__ import annotations

from .errors import QbootError

TOP = {"board": str, "machine": str, "loaders": [str], "plugins": [str], "assembler": str,
       "qboot_fw_version": str, "sha256": str, "rom_size": int, "rom_bytes_used": int,
       "regions": dict, "fragments": list, "symbols": dict}
REGION = {"start": int, "size": int, "used": int}
FRAGMENT = {"name": str, "owner": str, "region": str, "address": int, "offset": int,
            "size": int, "bits": int, "kind": str, "origin": str, "labels": dict,
            "data": list}
BITS = (16, 32)
KINDS = ("code", "data", "bss")
TYPE_NAMES = {str: "a string", int: "an integer", dict: "a table", list: "a list"}


class _Bad(Exception):
    pass


def _is(value, kind) -> bool:
    if isinstance(kind, list):
        return isinstance(value, list) and all(_is(v, kind[0]) for v in value)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _fields(table, schema: dict, where: str) -> None:
    if not isinstance(table, dict):
        raise _Bad(f"{where} must be a table")
    for key, kind in schema.items():
        if key not in table:
            raise _Bad(f"{where}{'.' if where else ''}{key} is missing")
        if not _is(table[key], kind):
            want = (f"a list of {TYPE_NAMES[kind[0]].split()[1]}s" if isinstance(kind, list)
                    else TYPE_NAMES[kind])
            raise _Bad(f"{where}{'.' if where else ''}{key} must be {want}")


def _within(value: int, low: int, high: int, what: str) -> None:
    if not low <= value <= high:
        raise _Bad(f"{what} is {value:#x}, outside {low:#x}-{high:#x}")


def _fragment(f, i: int, rom_size: int) -> None:
    where = f"fragments[{i}]"
    _fields(f, FRAGMENT, where)
    if f["bits"] not in BITS:
        raise _Bad(f"{where}.bits is {f['bits']}; it must be 16 or 32")
    if f["kind"] not in KINDS:
        raise _Bad(f"{where}.kind is {f['kind']!r}; it must be one of {', '.join(KINDS)}")
    _within(f["size"], 0, 1 << 32, f"{where}.size")
    if f["kind"] != "bss":
        _within(f["offset"], 0, rom_size, f"{where}.offset")
        _within(f["offset"] + f["size"], 0, rom_size, f"{where}.offset + size")
    for name, off in f["labels"].items():
        if not _is(off, int):
            raise _Bad(f"{where}.labels.{name} must be an integer")
        _within(off, 0, f["size"], f"{where}.labels.{name}")
    for j, pair in enumerate(f["data"]):
        if not (_is(pair, [int]) and len(pair) == 2 and 0 <= pair[0] <= pair[1] <= f["size"]):
            raise _Bad(f"{where}.data[{j}] must be [start, end] within the fragment")


def check(manifest: dict, rom_size: int, path) -> None:
    """Raise a QbootError naming the first field of ``manifest`` (read from ``path``) that
    the tools cannot use with a ROM of ``rom_size`` bytes."""
    try:
        _fields(manifest, TOP, "")
        for name, region in manifest["regions"].items():
            _fields(region, REGION, f"regions.{name}")
        for i, f in enumerate(manifest["fragments"]):
            _fragment(f, i, rom_size)
        for name, address in manifest["symbols"].items():
            if not _is(address, int):
                raise _Bad(f"symbols.{name} must be an integer")
    except _Bad as exc:
        rom = str(path)[:-len(".toml")] if str(path).endswith(".toml") else path
        raise QbootError(f"manifest {path}: {exc}; it was edited or damaged: rebuild with "
                         f"qboot-fw build -o {rom}") from None
