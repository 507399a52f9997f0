"""The build driver: a selection of board, loaders and features becomes a ROM and manifest."""

from __future__ import annotations

import hashlib
import os
import tempfile
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

import tomli_w

from . import __version__, asm, elf, firmware
from .errors import QbootError
from .layout import FSEG_ALIAS, HIGH_ALIAS, REGIONS
from .linker import Linked, Placement, link
from .model import STAGES, Board, BuildContext, Component, Fragment, Loader
from .plugins import Registry, registry

DEFAULTS = {"board": "q35", "loaders": ["linux"], "plugins": [], "assembler": "keystone"}
RECIPE_KEYS = {"board", "loaders", "plugins", "assembler", "options"}


@dataclass
class Selection:
    """What to build; every name is checked against the registry by :func:`resolve`."""

    board: str = DEFAULTS["board"]
    loaders: list[str] = field(default_factory=lambda: list(DEFAULTS["loaders"]))
    plugins: list[str] = field(default_factory=list)
    assembler: str = DEFAULTS["assembler"]
    options: dict[str, dict] = field(default_factory=dict)


def _choose(kind: str, name: str, known: dict):
    if name not in known:
        valid = ", ".join(known) or "none installed"
        raise QbootError(f"unknown {kind} {name!r}; valid {kind}s: {valid}")
    return known[name]


def read_recipe(path: Path) -> Selection:
    """Parse a recipe file (docs/recipes.md)."""
    try:
        data = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise QbootError(f"cannot read recipe {path}: no such file") from None
    except OSError as exc:
        raise QbootError(f"cannot read recipe {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise QbootError(f"recipe {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - RECIPE_KEYS)
    if unknown:
        raise QbootError(f"recipe {path}: unknown key {unknown[0]!r}; valid keys: "
                         f"{', '.join(sorted(RECIPE_KEYS))}")
    sel = Selection()
    for key, kind in (("board", str), ("assembler", str)):
        if key in data:
            if not isinstance(data[key], kind):
                raise QbootError(f"recipe {path}: {key} must be a string")
            setattr(sel, key, data[key])
    for key in ("loaders", "plugins"):
        if key in data:
            if not isinstance(data[key], list) or not all(isinstance(x, str) for x in data[key]):
                raise QbootError(f"recipe {path}: {key} must be a list of strings")
            setattr(sel, key, list(data[key]))
    options = data.get("options", {})
    if not isinstance(options, dict) or not all(isinstance(v, dict) for v in options.values()):
        raise QbootError(f"recipe {path}: options must be tables, e.g. [options.linux]")
    sel.options = options
    return sel


@dataclass
class Resolved:
    board: Board
    loaders: list[Loader]
    features: list[Component]
    assembler: object
    ctx: BuildContext

    @property
    def components(self) -> list[Component]:
        return [self.board, *self.features, *self.loaders]


def resolve(sel: Selection, reg: Registry | None = None) -> Resolved:
    reg = reg or registry()
    board = _choose("board", sel.board, reg.boards)
    if not sel.loaders:
        raise QbootError(f"no loader selected; add --loader, e.g. one of: {', '.join(reg.loaders)}")
    loaders = []
    for name in sel.loaders:
        loader = _choose("loader", name, reg.loaders)
        if loader in loaders:
            raise QbootError(f"loader {name!r} given twice; give each loader once")
        loaders.append(loader)
    wanted = list(sel.plugins)
    for comp in [board, *loaders]:
        wanted += [r for r in comp.requires if r not in wanted]
    features = []
    for name in wanted:
        feat = _choose("plugin", name, reg.features)
        if feat not in features:
            features.append(feat)
            wanted += [r for r in feat.requires if r not in wanted]
    backend = _choose("assembler", sel.assembler, reg.assemblers)
    options = typed_options([board, *loaders, *features], sel.options)
    ctx = BuildContext(board=board.name, loaders=tuple(l.name for l in loaders),
                       plugins=tuple(f.name for f in features), options=options)
    reg.manager.hook.qboot_build_started(ctx=ctx)
    return Resolved(board, loaders, features, backend.factory(), ctx)


def typed_options(components: list[Component], given: dict[str, dict]) -> dict[str, dict]:
    """The build's options, converted and checked against each component's declarations
    (:class:`~qbootcore.model.Option`), with defaults filled in: name -> key -> value."""
    known = {c.name: c for c in components}
    for key, opts in given.items():
        if key not in known:
            raise QbootError(f"options for {key!r}, which is not part of this build; "
                             f"options may name: {', '.join(sorted(known))}")
        for opt in opts:
            if opt not in known[key].options:
                valid = ", ".join(known[key].options) or "none"
                raise QbootError(f"{key} has no option {opt!r}; valid options: {valid}")
    out: dict[str, dict] = {}
    for comp in components:
        values = {}
        for key, opt in comp.options.items():
            value = given.get(comp.name, {}).get(key)
            if value is not None:
                values[key] = opt.convert(value, f"{comp.name}.{key}")
            elif opt.required:
                raise QbootError(f"{comp.name} needs option {key} ({opt.help or opt.type.__name__}): "
                                 f"add [options.{comp.name}] {key} = ... to the recipe or "
                                 f"--option {comp.name}.{key}=VALUE")
            elif opt.default is not None:
                values[key] = opt.convert(opt.default, f"{comp.name}.{key}")
        out[comp.name] = values
    return out


def init_chain(res: Resolved) -> Fragment:
    """Generate the fragment that calls every step in stage order, then the loaders."""
    steps = list(firmware.STEPS)
    rank = {}
    for i, comp in enumerate(res.components):
        for step in comp.steps_for(res.ctx):
            if step.stage not in STAGES:
                raise QbootError(f"{comp.name}: step {step.symbol} names unknown stage "
                                 f"{step.stage!r}; stages: {', '.join(STAGES)}")
            steps.append(step)
            rank[step] = i + 1
    steps.sort(key=lambda s: (STAGES.index(s.stage), s.order, rank.get(s, 0), s.symbol))
    chain = [s for s in steps if s.stage != "handoff"]
    handoff = [s for s in steps if s.stage == "handoff"]
    lines = ["; Generated by qboot-fw: the boot sequence of this build.",
             "; init_chain calls each step (stage, order), then each loader's probe in",
             "; --loader order; handoff is called by the loader that boots the kernel.",
             ".global init_chain, handoff", "init_chain:"]
    tracers = [c.after_step for c in res.components if c.after_step]
    names_used: list[str] = []

    def call(symbol: str, comment: str) -> list[str]:
        out = [f"    call {symbol}    ; {comment}"]
        for tracer in tracers:
            names_used.append(symbol)
            out += [f"    mov esi, name_{len(names_used)}", f"    call {tracer}"]
        return out

    for s in chain:
        lines += call(s.symbol, s.stage)
    for loader in res.loaders:
        if tracers and loader.probe:  # a probe that boots does not return: mark before it
            names_used.append(loader.probe)
            lines += [f"    mov esi, name_{len(names_used)}"] + [f"    call {t}" for t in tracers]
        if loader.probe:
            lines.append(f"    call {loader.probe}    ; loader {loader.name}")
    names = ", ".join(l.name for l in res.loaders)
    lines += ["    mov esi, msg_loaders", "    jmp no_loader_panic"]
    # kernel_check (firmware/boot.asm) calls this when QEMU got no -kernel
    lines += [".global boot_without_kernel", "boot_without_kernel:"]
    lines += [f"    call {l.without_kernel}    ; loader {l.name}, no -kernel"
              for l in res.loaders if l.without_kernel]
    lines += ["    ret", "handoff:"]
    lines += [f"    call {s.symbol}" for s in handoff]
    lines += ["    ret", "msg_loaders:", f'    .asciz "{names}"']
    lines += [f'name_{i}:\n    .asciz "{sym}"' for i, sym in enumerate(names_used, 1)]
    return Fragment(name="init_chain", region="text32", source="\n".join(lines) + "\n",
                    origin="<generated init_chain>")


def layout_constants() -> dict[str, int]:
    """``REGION_<NAME>_START``/``_END``: run addresses of each region's bounds, and
    ``ROM_HIGH_ALIAS``/``ROM_FSEG_ALIAS``: where ROM offset 0 appears, so that firmware code
    can name the layout instead of repeating its numbers."""
    out = {"ROM_HIGH_ALIAS": HIGH_ALIAS, "ROM_FSEG_ALIAS": FSEG_ALIAS}
    for name, r in REGIONS.items():
        out[f"REGION_{name.upper()}_START"] = r.address(r.start)
        out[f"REGION_{name.upper()}_END"] = r.address(r.end)
    return out


@dataclass
class Result:
    rom: bytes
    manifest: dict
    linked: Linked


def build(sel: Selection, reg: Registry | None = None) -> Result:
    res = resolve(sel, reg)
    constants = asm.load_constants(firmware.CONSTANTS, layout_constants())
    for comp in res.components:
        constants = asm.load_constants(comp.constants, constants)
    frags = firmware.core_fragments()
    for comp in res.components:
        for f in comp.fragments(res.ctx):
            frags.append(replace(f, owner=comp.name))
    frags += [init_chain(res), firmware.stack_fragment(constants["STACK_SIZE"])]
    linked = link(frags, res.assembler, constants)
    return Result(linked.rom, manifest(res, sel, linked), linked)


def manifest(res: Resolved, sel: Selection, linked: Linked) -> dict:
    regions = {}
    for name, region in REGIONS.items():
        regions[name] = {"start": region.address(region.start), "size": region.size,
                         "used": linked.usage[name]}
    by_owner: dict[str, int] = {}
    for p in linked.placements:
        if REGIONS[p.fragment.region].in_rom:
            by_owner[p.fragment.owner] = by_owner.get(p.fragment.owner, 0) + p.size
    return {
        "qboot_fw_version": __version__,
        "board": res.board.name,
        "machine": res.board.machine,
        "loaders": list(res.ctx.loaders),
        "plugins": list(res.ctx.plugins),
        "assembler": sel.assembler,
        "options": {k: {o: res.ctx.options[k][o] for o in v} for k, v in sel.options.items()},
        "rom_size": len(linked.rom),
        "rom_bytes_used": sum(by_owner.values()),
        "sha256": hashlib.sha256(linked.rom).hexdigest(),
        "regions": regions,
        "bytes_by_plugin": dict(sorted(by_owner.items())),
        "fragments": [_fragment_entry(p) for p in linked.placements],
        "symbols": dict(sorted(linked.symbols.items())),
    }


def _fragment_entry(p: Placement) -> dict:
    """A fragment as the manifest records it, for ``qboot-fw inspect``/``disasm`` and the
    ELF file: where it is, its mode, its labels (offsets), and which of its bytes are data
    (``kind`` is code, data or bss; ``data`` lists [start, end) offsets in code fragments
    that directives such as ``.asciz`` emitted)."""
    f = p.fragment
    data: list[list[int]] = []
    for i, line in enumerate(p.lines):
        start, end = p.line_offsets[i], p.line_offsets[i + 1]
        if line.text and not line.is_instruction and end > start:
            if data and data[-1][1] == start:
                data[-1][1] = end
            else:
                data.append([start, end])
    if f.region == "bss":
        kind = "bss"
    else:
        kind = "code" if any(line.is_instruction for line in p.lines) else "data"
    return {"name": f.name, "owner": f.owner, "region": f.region, "address": p.address,
            "offset": p.offset, "size": p.size, "bits": f.bits, "kind": kind,
            "origin": f.origin, "labels": dict(sorted(p.labels.items(), key=lambda x: x[1])),
            "data": data}


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place, with the
    permissions a plain open() would have given (mkstemp makes files 0600)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write(result: Result, out: Path) -> Path:
    """Write the ROM, ``<out>.toml`` (the manifest) and ``<out>.elf`` (its symbols at their
    run-time addresses, for gdb) beside it; on failure none is left half-written."""
    out = Path(out)
    if not out.parent.is_dir():
        raise QbootError(f"cannot write {out}: directory {out.parent} does not exist")
    if out.is_dir():
        raise QbootError(f"cannot write {out}: it is a directory; give a file name")
    man = out.with_name(out.name + ".toml")
    text = tomli_w.dumps(result.manifest).encode()
    image = elf.rom_elf(result.rom, result.manifest)
    _atomic_write(out, result.rom)
    _atomic_write(man, text)
    _atomic_write(out.with_name(out.name + ".elf"), image)
    return man
