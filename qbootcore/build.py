"""The build driver: a selection of board, loaders and features becomes a ROM and manifest."""

from __future__ import annotations

import hashlib
import os
import re
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


def _choose(kind: str, name: str, known: dict, required_by: str = ""):
    if name not in known:
        valid = ", ".join(known) or "none installed"
        if not name:
            raise QbootError(f"the {kind} name is empty; valid {kind}s: {valid}")
        if required_by:
            raise QbootError(f"{kind} {name!r} (required by {required_by!r}) is not installed; "
                             f"install it or leave {required_by} out; installed {kind}s: {valid}")
        raise QbootError(f"unknown {kind} {name!r}; valid {kind}s: {valid}")
    return known[name]


def read_recipe(path: Path) -> Selection:
    """Parse a recipe file (docs/recipes.md)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise QbootError(f"cannot read recipe {path}: no such file") from None
    except OSError as exc:
        raise QbootError(f"cannot read recipe {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise QbootError(f"recipe {path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} "
                         f"at offset {exc.start}); save it as UTF-8") from None
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
    #: every installed board, for the machine table (wrong-machine panic)
    boards: dict[str, Board] = field(default_factory=dict)
    #: every installed loader, for the kernel formats table ("no loader" panic)
    all_loaders: dict[str, Loader] = field(default_factory=dict)

    @property
    def components(self) -> list[Component]:
        return [self.board, *self.features, *self.loaders]

    def parts(self, comp: Component) -> list[Component]:
        """``comp`` and, for the board, the shared code it brings (emitted once)."""
        return [comp, *(comp.shared if comp is self.board else ())]


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
    required_by: dict[str, str] = {}    # plugin -> the first component that requires it
    for comp in [board, *loaders]:
        wanted += [r for r in comp.requires if r not in wanted]
        required_by.update((r, comp.name) for r in comp.requires if r not in required_by)
    features = []
    for name in wanted:
        feat = _choose("plugin", name, reg.features,
                       "" if name in sel.plugins else required_by.get(name, ""))
        if feat not in features:
            features.append(feat)
            wanted += [r for r in feat.requires if r not in wanted]
            required_by.update((r, feat.name) for r in feat.requires if r not in required_by)
    backend = _choose("assembler", sel.assembler, reg.assemblers)
    options = typed_options([board, *loaders, *features], sel.options)
    ctx = BuildContext(board=board.name, loaders=tuple(l.name for l in loaders),
                       plugins=tuple(f.name for f in features), options=options,
                       machines=board.machines)
    reg.manager.hook.qboot_build_started(ctx=ctx)
    return Resolved(board, loaders, features, backend.factory(), ctx, dict(reg.boards),
                    dict(reg.loaders))


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
        for step in (s for part in res.parts(comp) for s in part.steps_for(res.ctx)):
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
    lines += [f"    call {l.prepare}    ; loader {l.name}, before any handoff"
              for l in res.loaders if l.prepare]
    # two rounds when the ROM has two such loaders (BIOS Boot Specification: each boot
    # device in turn): EAX = 1, what QEMU's boot order puts first; EAX = 0, the last chance
    # (boot what is left, or say why not).  One loader: the last round only.
    without = [l for l in res.loaders if l.without_kernel]
    for last in ((1, 0) if len(without) > 1 else (0,)):
        for l in without:
            lines += [f"    mov eax, {last}" if last else "    xor eax, eax",
                      f"    call {l.without_kernel}    ; loader {l.name}, no -kernel"]
    lines += ["    ret", ".global handoff_done", ".bss handoff_done, 4", "handoff:"]
    # BIOS Boot Specification 6.5.1: a boot device may hand over and come back (a BEV that
    # found nothing); the next one's handoff is then the one already done (its allocations
    # came before it, Loader.prepare).  Only ROMs with two such loaders pay for the guard.
    if len(without) > 1:
        lines += ["    cmp byte ptr [handoff_done], 0", "    jne handoff_ret",
                  "    mov byte ptr [handoff_done], 1"]
    lines += [f"    call {s.symbol}" for s in handoff]
    lines += ["handoff_ret:", "    ret", "msg_loaders:", f'    .asciz "{names}"']
    lines += [f'name_{i}:\n    .asciz "{sym}"' for i, sym in enumerate(names_used, 1)]
    return Fragment(name="init_chain", region="text32", source="\n".join(lines) + "\n",
                    origin="<generated init_chain>")


def kernel_formats(res: Resolved, sources: str = "") -> Fragment:
    """The kernel formats every installed loader declares (``Loader.formats``), for
    ``no_loader_panic`` (firmware/boot.asm): (files, description) pairs ended by 0, and for
    each loader ``kernel_format_files_<name>`` (``_<i>`` for its format i > 0): the fw_cfg
    file names, each NUL-terminated, ended by an empty one.  The ROM's own loaders' formats
    are not in the table (their probes took the kernel or refused it themselves), and their
    files only when ``sources`` (the build's other fragments) refer to them."""
    lines = ["; Generated by qboot-fw (qbootcore/build.py:kernel_formats) from the installed",
             "; loaders' formats.", ".global kernel_formats", "kernel_formats:"]
    data: list[str] = []
    for name, loader in res.all_loaders.items():
        if not loader.formats:
            continue
        for i, fmt in enumerate(loader.formats):
            label = f"kernel_format_files_{name}" + (f"_{i}" if i else "")
            if name in res.ctx.loaders:
                if re.search(rf"\b{label}\b", sources):
                    data += [f".global {label}", f"{label}:"]
                    data += [f'    .asciz "{f}"' for f in fmt.fw_cfg_files] + ["    .byte 0"]
                continue
            lines.append(f"    .long {label}, kernel_format_text_{name}_{i}")
            data += [f".global {label}", f"{label}:"]
            data += [f'    .asciz "{f}"' for f in fmt.fw_cfg_files] + ["    .byte 0"]
            data += [f"kernel_format_text_{name}_{i}:", f'    .asciz "{fmt.name} (loader: {name})"']
    lines += ["    .long 0", *data]
    return Fragment(name="kernel_formats", region="rodata", source="\n".join(lines) + "\n",
                    origin="<generated kernel_formats>")


def machine_table(res: Resolved) -> Fragment:
    """The data of ``panic_machine_check`` (firmware/machine.asm): the host bridge ID of the
    board this ROM is built for, then (ID, description) of every installed board that has
    one, ended by (0, unknown): a failure on another machine names both."""
    board, known = res.board, [b for b in res.boards.values()
                               if b.host_bridge_id is not None and b.name != res.board.name]
    ident = board.host_bridge_id

    lines = ["; Generated by qboot-fw (qbootcore/build.py:machine_table) from the boards'",
             "; host_bridge_id: the board built, then the known machines.",
             ".global machine_table, machine_built", "machine_table:"]
    if ident is None:
        lines += [f"    .long 0, 0    ; {board.name}: no host bridge ID, nothing to check",
                  "machine_built:", "    .byte 0"]
    else:
        lines += [f"    .long {ident:#x}, 1    ; {board.name}"]
        lines += [f"    .long {b.host_bridge_id:#x}, machine_name_{i}"
                  for i, b in enumerate(known)]
        lines += ["    .long 0, machine_name_unknown", "machine_built:",
                  f'    .asciz "ROM for board {board.name}, machine is "']
        lines += [f'machine_name_{i}:\n    .asciz "{b.name}: build with --board {b.name}"'
                  for i, b in enumerate(known)]
        lines += ["machine_name_unknown:", '    .asciz "unknown"']
    return Fragment(name="machine_table", region="rodata", source="\n".join(lines) + "\n",
                    origin="<generated machine_table>")


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
        for part in reversed(res.parts(comp)):  # shared constants first: the board uses them
            constants = asm.load_constants(part.constants, constants)
    frags = firmware.core_fragments()
    for comp in res.components:
        for part in res.parts(comp):
            frags += [replace(f, owner=comp.name) for f in part.fragments(res.ctx)]
    frags += [init_chain(res), machine_table(res),
              kernel_formats(res, "\n".join(f.source or "" for f in frags)),
              firmware.stack_fragment(constants["STACK_SIZE"])]
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


# ---------------------------------------------------------------------------------------
# Writing the outputs: the ROM, its manifest and its ELF symbol file are one unit.

OUTPUT_SUFFIXES = ("", ".toml", ".elf")   # ROM, manifest, ELF beside it


def output_paths(out: Path) -> list[Path]:
    """The files a build to ``out`` writes: the ROM, ``<out>.toml`` and ``<out>.elf``."""
    out = Path(out)
    return [out.with_name(out.name + suffix) for suffix in OUTPUT_SUFFIXES]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def check_outputs(out: Path, inputs=()) -> None:
    """Refuse, before anything is written, an output that cannot be written as a unit:
    one that is an input of the build (the recipe), a directory, in a missing directory,
    or whose name (with ``.toml``/``.elf`` added) is too long for the file system."""
    out = Path(out)
    if not out.name or out.name in (".", ".."):
        raise QbootError(f"cannot write {out}: give a file name, e.g. -o bios.bin")
    if not out.parent.is_dir():
        raise QbootError(f"cannot write {out}: directory {out.parent} does not exist")
    try:
        name_max = os.pathconf(out.parent, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    for path in output_paths(out):
        if len(os.fsencode(path.name)) > name_max:
            raise QbootError(f"cannot write {path}: the name is longer than the {name_max} "
                             f"bytes the file system allows (qboot-fw adds .toml and .elf "
                             f"to the ROM's name); choose a shorter -o")
        if path.is_dir():
            raise QbootError(f"cannot write {path}: it is a directory; choose another -o")
        if path.exists() and not path.is_file():    # a device, a FIFO: never replace it
            raise QbootError(f"cannot write {path}: it is not a regular file; choose "
                             f"another -o")
        for given in inputs:
            if given and _same_file(path, Path(given)):
                raise QbootError(f"cannot write {path}: it is the build's input {given}; "
                                 f"choose another -o")


def _temporary(directory: Path, data: bytes) -> str:
    """``data`` in a new file of ``directory`` with a short name of its own (so that a
    long output name still fits), with the permissions a plain open() would have given
    (mkstemp makes files 0600); flushed to disk."""
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".qboot-fw-", suffix=".tmp")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _install(pairs: list[tuple[str, Path]]) -> None:
    """Rename each temporary onto its final name, in order; if one rename fails, put back
    the files the earlier renames replaced (kept as hard links beforehand) and remove the
    ones they created, so that the outputs are all new or all as they were."""
    backups: dict[Path, str | None] = {}
    try:
        for _, final in pairs:
            backups[final] = None
            if final.exists():
                keep = tempfile.mktemp(dir=final.parent, prefix=".qboot-fw-", suffix=".old")
                try:
                    os.link(final, keep)
                    backups[final] = keep
                except OSError:
                    pass  # no hard links here: the unit is still written in one pass
        done: list[Path] = []
        try:
            for tmp, final in pairs:
                os.replace(tmp, final)
                done.append(final)
        except BaseException:
            for final in reversed(done):
                if backups[final]:
                    os.replace(backups[final], final)
                    backups[final] = None
                else:
                    _unlink_quietly(final)
            raise
    finally:
        for keep in backups.values():
            if keep:
                _unlink_quietly(keep)


class _OutputLock:
    """An exclusive lock (flock) on the output's directory for the moment the three files
    are renamed in, so that concurrent builds to the same -o install whole units."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.fd = -1

    def __enter__(self):
        import fcntl
        try:
            self.fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except OSError:
            pass  # a file system without flock: the rename order alone must do
        return self

    def __exit__(self, *exc):
        if self.fd >= 0:
            os.close(self.fd)   # releases the lock


def write(result: Result, out: Path, inputs=()) -> Path:
    """Write the ROM, ``<out>.toml`` (the manifest) and ``<out>.elf`` (its symbols at their
    run-time addresses, for gdb) as one unit: all three go to temporaries first, then are
    renamed in under a lock on the output directory, ROM last; on any failure the previous
    files stay as they were and a QbootError names the file and the reason.  ``inputs``
    (the recipe) may not be among the outputs."""
    out = Path(out)
    check_outputs(out, inputs)
    rom_path, man, elf_path = output_paths(out)
    contents = [(man, tomli_w.dumps(result.manifest).encode()),
                (elf_path, elf.rom_elf(result.rom, result.manifest)),
                (rom_path, result.rom)]
    temps: list[str] = []
    current, installed = out, False
    try:
        for current, data in contents:
            temps.append(_temporary(out.parent, data))
        with _OutputLock(out.parent):
            _install(list(zip(temps, (path for path, _ in contents))))
        installed = True
    except OSError as exc:
        failed = exc.filename2 if temps and len(temps) == len(contents) else current
        raise QbootError(f"cannot write {failed or current}: {exc.strerror or exc}; "
                         f"no output was changed") from None
    finally:
        if not installed:
            for tmp in temps:
                _unlink_quietly(tmp)
    return man
