"""``qboot-fw run``: build a ROM (or reuse a cached build) and boot a kernel with it in QEMU.

The ROM is cached under ``$QBOOT_FW_CACHE`` (default ``~/.cache/qboot-fw``), keyed by the
selection (the recipe's content after command-line overrides), the qboot-fw version and
the text of every fragment and constants file that goes into the build, so editing a
plugin's assembly rebuilds and nothing else does.  QEMU gets the board's machine type, the
serial port on stdio and TCG unless ``--accel kvm``; the exact command line is printed
first.  With ``--trace`` the ROM includes the ``trace`` feature and, once QEMU exits, the
TSC marks it printed on the debug console become a table of steps and microseconds
(docs/run.md).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import typer

from .. import __version__, firmware
from ..build import Selection, build, init_chain, resolve, write
from ..errors import QbootError
from ..plugins import Registry, registry

QEMU = "qemu-system-x86_64"
ACCELS = ("tcg", "kvm")
TRACE = "trace"
DEBUGCON_IOBASE = "0x402"  # firmware/uart.inc DEBUGCON_PORT
# linux/kvm.h: KVMIO = 0xAE; KVM_GET_API_VERSION = _IO(KVMIO, 0x00), KVM_CREATE_VM =
# _IO(KVMIO, 0x01); the stable API reports version 12.
KVM_GET_API_VERSION = 0xAE00
KVM_CREATE_VM = 0xAE01
KVM_API_VERSION = 12


# -- the cached build -----------------------------------------------------------------------

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
    core = Path(__file__).resolve().parents[1]
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


# -- QEMU -----------------------------------------------------------------------------------

def kvm_problem(device: str = "/dev/kvm") -> str | None:
    """Why KVM cannot be used here, or None when it can (the device opens, answers the
    stable API version and creates a VM)."""
    import fcntl
    try:
        fd = os.open(device, os.O_RDWR | os.O_CLOEXEC)
    except OSError as exc:
        return f"cannot open {device}: {exc.strerror}"
    try:
        version = fcntl.ioctl(fd, KVM_GET_API_VERSION, 0)
        if version != KVM_API_VERSION:
            return f"{device} reports KVM API version {version}, not {KVM_API_VERSION}"
        os.close(fcntl.ioctl(fd, KVM_CREATE_VM, 0))
    except OSError as exc:
        return f"{device} cannot create a VM: {exc.strerror}"
    finally:
        os.close(fd)
    return None


def default_machine(machine: str) -> str:
    """The QEMU machine type for a board's ``machine``: boards that run on several list
    them separated by ``|`` (the auto board), and the first is the default."""
    return machine.split("|")[0].strip()


def qemu_command(*, qemu: str, machine: str, rom: Path, kernel: Path,
                 initrd: Path | None = None, append: str | None = None, accel: str = "tcg",
                 memory: str = "512M", debugcon: Path | None = None,
                 extra: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The QEMU command line: serial port on stdio, no display, no monitor, and no reboot
    (the run ends when the guest resets or powers off)."""
    cmd = [qemu, "-accel", accel, "-M", machine, "-bios", str(rom), "-m", memory,
           "-kernel", str(kernel)]
    if initrd:
        cmd += ["-initrd", str(initrd)]
    if append is not None:
        cmd += ["-append", append]
    cmd += ["-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot"]
    if debugcon:
        cmd += ["-debugcon", f"file:{debugcon}", "-global", f"isa-debugcon.iobase={DEBUGCON_IOBASE}"]
    return cmd + list(extra)


# -- the boot timeline ----------------------------------------------------------------------

MARK = re.compile(r"^(\S+) ([0-9a-f]{16})$", re.M)


def parse_trace(text: str) -> tuple[list[tuple[str, int]], int | None]:
    """The trace feature's debug-console lines: ([(name, tsc), ...], printing overhead)."""
    marks, overhead = [], None
    for name, value in MARK.findall(text):
        if name == "trace_overhead":
            overhead = int(value, 16)
        else:
            marks.append((name, int(value, 16)))
    return marks, overhead


@dataclass
class Row:
    stage: str
    what: str
    end: int  # TSC ticks since reset
    took: int


def step_stages(sel: Selection, reg: Registry | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """({step symbol: stage}, {probe symbol: loader name}) of a build."""
    res = resolve(sel, reg or registry())
    stages = {s.symbol: s.stage for s in firmware.STEPS}
    for comp in res.components:
        steps = comp.steps_for(res.ctx) if hasattr(comp, "steps_for") else comp.steps
        stages.update({s.symbol: s.stage for s in steps})
    return stages, {l.probe: l.name for l in res.loaders}


def timeline(marks: list[tuple[str, int]], stages: dict[str, str],
             probes: dict[str, str]) -> list[Row]:
    """Intervals from the marks.  A step's mark is taken after it ran; a probe's before it
    runs, so a probe lasts until the next mark: the next probe's (it returned: not its
    kernel) or ``handoff`` (it loaded the kernel and is about to enter it)."""
    rows: list[Row] = []
    prev = 0
    probe: str | None = None
    for name, tsc in marks:
        if probe is not None:
            outcome = "loads the kernel" if name == "handoff" else "not its kernel"
            rows.append(Row("boot", f"{probe} ({probes[probe]}): {outcome}", tsc, tsc - prev))
            probe = None
        elif name in probes:
            pass
        elif name == "trace_start":
            rows.append(Row("reset", "reset vector, protected mode, bss", tsc, tsc - prev))
        elif name == "handoff":
            rows.append(Row("handoff", "handoff", tsc, tsc - prev))
        else:
            rows.append(Row(stages.get(name, "?"), name, tsc, tsc - prev))
        if name in probes:
            probe = name
        prev = tsc
    return rows


def render_timeline(rows: list[Row], mhz: float, source: str,
                    overhead: int | None = None) -> str:
    """The timeline as a table in microseconds."""
    def us(ticks: int) -> str:
        return f"{ticks / mhz:,.1f}"
    lines = [f"boot timeline (TSC at {mhz:,.1f} MHz, {source})"]
    if not rows:
        return lines[0] + ": no marks on the debug console (was the ROM built with trace?)\n"
    width = max(len(r.what) for r in rows + [Row("", "reset -> kernel entry", 0, 0)])
    stage_w = max(len(r.stage) for r in rows)
    head = f"  {'stage':<{stage_w}}  {'step':<{width}}  {'at µs':>10}  {'took µs':>10}"
    lines += [head, "  " + "-" * (len(head) - 2)]
    for r in rows:
        lines.append(f"  {r.stage:<{stage_w}}  {r.what:<{width}}  {us(r.end):>10}  {us(r.took):>10}")
    lines.append("  " + "-" * (len(head) - 2))
    reached = rows[-1].what.endswith("loads the kernel") or rows[-1].what == "handoff"
    total = "reset -> kernel entry" if reached else "reset -> last mark"
    lines.append(f"  {'total':<{stage_w}}  {total:<{width}}  {us(rows[-1].end):>10}")
    if overhead:
        lines.append(f"  (printing the marks took {us(overhead)} µs more, left out above)")
    if not reached:
        lines.append("  the firmware did not reach a kernel: see the serial output above")
    return "\n".join(lines) + "\n"


def _host_rdtsc():
    """A callable that executes RDTSC on this (x86-64) host, or None."""
    if platform.machine().lower() not in ("x86_64", "amd64") or sys.platform != "linux":
        return None
    import ctypes
    import mmap
    # rdtsc; shl rdx, 32; or rax, rdx; ret
    code = bytes.fromhex("0f3148c1e2204809d0c3")
    try:
        page = mmap.mmap(-1, mmap.PAGESIZE,
                         prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    except (OSError, ValueError):
        return None
    page.write(code)
    fn = ctypes.CFUNCTYPE(ctypes.c_uint64)(ctypes.addressof(ctypes.c_char.from_buffer(page)))
    fn._page = page  # keep the page mapped as long as the function lives
    return fn


def tsc_mhz(interval: float = 0.02) -> tuple[float, str]:
    """The TSC frequency the guest's counts are in, and how it was found.

    Under TCG, QEMU's RDTSC returns the host's TSC (cpu_get_host_ticks) less its value when
    the VM started; under KVM the guest's TSC runs at the host's rate unless -cpu
    tsc-frequency says otherwise.  So the host's TSC rate is measured: RDTSC against
    CLOCK_MONOTONIC over a few short intervals (the median).  Where the host cannot run
    RDTSC from Python, /proc/cpuinfo's "cpu MHz" is the fallback (exact only on hosts with
    a constant TSC at the nominal clock)."""
    rdtsc = _host_rdtsc()
    if rdtsc is not None:
        rates = []
        for _ in range(3):
            t0, c0 = time.perf_counter_ns(), rdtsc()
            time.sleep(interval)
            t1, c1 = time.perf_counter_ns(), rdtsc()
            rates.append((c1 - c0) * 1000 / (t1 - t0))
        return statistics.median(rates), "host TSC measured against CLOCK_MONOTONIC"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("cpu MHz"):
                return float(line.split(":")[1]), "/proc/cpuinfo cpu MHz (approximate)"
    except (OSError, ValueError):
        pass
    raise QbootError("cannot find the TSC frequency on this host; give --tsc-mhz")


# -- the command -----------------------------------------------------------------------------

def register(app) -> None:
    @app.command("run", context_settings={"allow_extra_args": True,
                                          "ignore_unknown_options": True})
    def run_cmd(
        ctx: typer.Context,
        kernel: Path = typer.Option(..., "--kernel", help="kernel for QEMU's -kernel"),
        initrd: Optional[Path] = typer.Option(None, "--initrd", help="QEMU's -initrd"),
        append: Optional[str] = typer.Option(None, "--append", help="kernel command line"),
        board: Optional[str] = typer.Option(None, "--board", help="board (see `qboot-fw list`)"),
        loader: Optional[List[str]] = typer.Option(None, "--loader", help="loader; repeatable"),
        plugin: Optional[List[str]] = typer.Option(None, "--plugin", help="feature; repeatable"),
        recipe: Optional[Path] = typer.Option(None, "--recipe", help="TOML recipe"),
        option: Optional[List[str]] = typer.Option(None, "--option",
                                                   help="COMPONENT.KEY=VALUE; repeatable"),
        assembler: Optional[str] = typer.Option(None, "--assembler", help="assembler backend"),
        trace: bool = typer.Option(False, "--trace",
                                   help="add the trace feature and show a boot timeline"),
        machine: Optional[str] = typer.Option(
            None, "--machine", help="QEMU -M value (default: the board's machine type; for a "
                                    "board that runs on several, e.g. auto, the first)"),
        accel: str = typer.Option("tcg", "--accel", help="tcg (default) or kvm"),
        memory: str = typer.Option("512M", "-m", "--memory", help="guest RAM (QEMU -m)"),
        qemu: str = typer.Option(os.environ.get("QBOOT_FW_QEMU", QEMU), "--qemu",
                                 help="QEMU binary (default $QBOOT_FW_QEMU or " + QEMU + ")"),
        tsc_mhz_opt: Optional[float] = typer.Option(None, "--tsc-mhz",
                                                    help="TSC frequency for --trace "
                                                         "(default: measured on the host)"),
        rebuild: bool = typer.Option(False, "--rebuild", help="ignore the cached build"),
        dry_run: bool = typer.Option(False, "--dry-run",
                                     help="build and print the QEMU command; do not run it"),
    ) -> None:
        """Build (or reuse a cached build) and boot a kernel in QEMU; `-- ARGS` go to QEMU.

        The ROM is cached in ~/.cache/qboot-fw ($QBOOT_FW_CACHE); QEMU runs with the board's
        machine type, TCG and the serial port on stdio, and its command line is printed
        first.  --trace adds the trace feature and prints a boot timeline when QEMU exits.
        """
        from ..cli import make_selection

        def fail(message: str) -> None:
            typer.echo(f"qboot-fw: error: {message}", err=True)
            raise typer.Exit(2)

        try:
            sel = make_selection(recipe, board, loader, plugin, assembler, option)
            if trace and TRACE not in sel.plugins:
                sel.plugins.append(TRACE)
            for what, path in (("kernel", kernel), ("initrd", initrd)):
                if path is not None and not path.is_file():
                    fail(f"{what} {path}: no such file")
            if accel not in ACCELS:
                fail(f"unknown accelerator {accel!r}; valid: {', '.join(ACCELS)}")
            if accel == "kvm" and (problem := kvm_problem()):
                fail(f"--accel kvm: {problem}; leave --accel out to use TCG")
            rom, manifest, cached = cached_build(sel, refresh=rebuild)
        except QbootError as exc:
            fail(str(exc))
            return
        machine = machine or default_machine(manifest.get("machine", ""))
        if not machine:
            fail(f"board {manifest['board']!r} names no QEMU machine type; give --machine")
        typer.echo(f"qboot-fw: {'cached' if cached else 'built'} {rom} ({manifest['board']} "
                   f"with {', '.join(manifest['loaders'])}"
                   f"{' + ' + ', '.join(manifest['plugins']) if manifest['plugins'] else ''})",
                   err=True)
        with tempfile.TemporaryDirectory(prefix="qboot-fw-run-") as tmp:
            debugcon = Path(tmp) / "debugcon.log" if trace else None
            cmd = qemu_command(qemu=qemu, machine=machine, rom=rom, kernel=kernel,
                               initrd=initrd, append=append, accel=accel, memory=memory,
                               debugcon=debugcon, extra=tuple(ctx.args))
            typer.echo(shlex.join(cmd))
            sys.stdout.flush()
            if dry_run:
                return
            try:
                status = subprocess.run(cmd).returncode
            except FileNotFoundError:
                fail(f"{qemu}: not found; install QEMU (apt-get install qemu-system-x86) or "
                     f"give --qemu")
                return
            except KeyboardInterrupt:
                status = 130
            if trace:
                text = debugcon.read_text(errors="replace") if debugcon.exists() else ""
                marks, overhead = parse_trace(text)
                try:
                    mhz, source = (tsc_mhz_opt, "--tsc-mhz") if tsc_mhz_opt else tsc_mhz()
                    stages, probes = step_stages(sel)
                except QbootError as exc:
                    fail(str(exc))
                    return
                typer.echo("")
                typer.echo(render_timeline(timeline(marks, stages, probes), mhz, source,
                                           overhead), nl=False)
        raise typer.Exit(status)
