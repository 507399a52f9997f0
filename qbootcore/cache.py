"""The build cache of ``qboot-fw run`` (docs/run.md): ROMs keyed by everything their bytes
depend on, so that running again with the same choices does not rebuild."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

from . import __version__, firmware
from .build import Selection, build, init_chain, resolve, write
from .errors import QbootError
from .plugins import Registry, registry


def cache_dir() -> Path:
    """``$QBOOT_FW_CACHE``, else ``$XDG_CACHE_HOME/qboot-fw``, else ``~/.cache/qboot-fw``."""
    if os.environ.get("QBOOT_FW_CACHE"):
        return Path(os.environ["QBOOT_FW_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "qboot-fw"


def build_key(sel: Selection, reg: Registry | None = None) -> str:
    """A digest of everything a build's bytes depend on: the selection, the qboot-fw
    version and sources, the constants files and the text of every fragment (plugins'
    too)."""
    reg = reg or registry()
    res = resolve(sel, reg)
    h = hashlib.sha256()

    def add(*parts) -> None:
        for part in parts:
            h.update(part if isinstance(part, bytes) else repr(part).encode())
            h.update(b"\0")

    add("qboot-fw", __version__, json.dumps(dataclasses.asdict(sel), sort_keys=True, default=str))
    for path in (*firmware.CONSTANTS, *(p for c in res.components for p in c.constants)):
        add(str(path), Path(path).read_bytes())
    # the core itself (linker, assemblers): a changed checkout rebuilds even at one version
    core = Path(__file__).resolve().parent
    for path in sorted(core.rglob("*.py")):
        add(str(path.relative_to(core)), path.read_bytes())
    fragments = [*firmware.core_fragments(),
                 *(f for c in res.components for f in c.fragments(res.ctx)), init_chain(res)]
    for f in fragments:
        add(f.name, f.region, f.source, f.data, f.size, f.bits, f.align,
            sorted(f.symbols.items()), sorted(getattr(f, "constants", {}).items()))
    return h.hexdigest()


def cached_build(sel: Selection, reg: Registry | None = None, cache: Path | None = None,
                 refresh: bool = False) -> tuple[Path, dict, bool]:
    """(ROM path, manifest, True if it came from the cache)."""
    import tomllib
    cache = Path(cache or cache_dir())
    rom = cache / f"{build_key(sel, reg)[:24]}.bin"
    manifest_path = rom.with_name(rom.name + ".toml")
    if not refresh and rom.is_file() and manifest_path.is_file():
        try:
            return rom, tomllib.loads(manifest_path.read_text()), True
        except (OSError, tomllib.TOMLDecodeError):
            pass  # a damaged entry is rebuilt
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise QbootError(f"cannot create the build cache {cache}: {exc.strerror}; "
                         f"set QBOOT_FW_CACHE to a writable directory") from None
    result = build(sel, reg)
    write(result, rom)
    return rom, result.manifest, False
