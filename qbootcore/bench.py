"""``qboot-fw bench``: what each firmware costs between QEMU's reset and the kernel's first
instruction (docs/performance.md).

Every firmware boots the same stub kernel (:mod:`qbootcore.stubkernel`) with the same QEMU
command line.  The stub's entry points exit QEMU through isa-debug-exit, so a run ends at
kernel entry and its exit status says which entry the firmware used.  Per firmware:

* one traced run (``-trace memory_region_ops_read/write -D LOG``, QEMU's ``log`` trace
  backend) counts the device accesses (port I/O and MMIO dispatched to a device model)
  before kernel entry; it also checks that the firmware reaches the kernel at all;
* then ``runs`` timed runs, interleaved with the other firmwares, give two medians, each
  compared with a null firmware whose reset vector exits at once:

  - wall: the whole QEMU process, start-up and exit included;
  - from reset: from the moment QEMU lets the reset CPU run (its ``vm_state_notify``
    trace event, the only one enabled, timestamped with ``-msg timestamp=on``) to the
    process's exit.  It leaves out QEMU's start-up (loading the kernel file, building the
    machine), which is the same for every firmware but most of the wall time's spread.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import platform
import re
import statistics
import subprocess
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import stubkernel
from .errors import QbootError

QEMU = "qemu-system-x86_64"
MACHINES = ("q35", "pc", "microvm")
ACCELS = ("tcg", "kvm")
QBOOT_ROM = Path("/usr/share/qemu/qboot.rom")
SEABIOS_ROM = Path("/usr/share/seabios/bios-256k.bin")
TIMEOUT = 30  # seconds per run; SeaBIOS needs ~0.3 s under TCG
NULL_EXIT = 0x4E  # 'N': the null firmware's isa-debug-exit code
APPEND = "console=ttyS0"

TRACE_LINE = re.compile(r"memory_region_ops_(read|write) cpu (-?\d+) mr \S+ addr (0x[0-9a-f]+)"
                        r" value (0x[0-9a-f]+) size (\d+) name '([^']*)'")
#: fw_cfg_select names the item a fw_cfg access selected; fw_cfg_add_file lists the files
FW_CFG_EVENT = re.compile(r"fw_cfg_select \S+ key (0x[0-9a-f]+) '([^']*)'|"
                          r"fw_cfg_add_file \S+ #\d+: (\S+) \(")
TRACE_EVENTS = ("memory_region_ops_read", "memory_region_ops_write", "fw_cfg_select",
                "fw_cfg_add_file")
VM_RUNNING = re.compile(r"^\d+@(\d+\.\d+):vm_state_notify running 1", re.M)
FW_CFG_FILE_FIRST = 0x20  # selector of the first file (QEMU docs/specs/fw_cfg.rst)


def null_firmware() -> bytes:
    """A 64 KiB ROM whose reset vector (0xFFFFFFF0) writes ``NULL_EXIT`` to isa-debug-exit:
    the cost of QEMU itself, the floor every firmware is measured against."""
    rom = bytearray(b"\xff" * 0x10000)
    rom[0xFFF0:0xFFF8] = stubkernel.exit_stub(NULL_EXIT)
    return bytes(rom)


def qemu_command(machine: str, accel: str, bios: Path, kernel: Path) -> list[str]:
    """The command line every firmware runs with: QEMU's default devices for the machine
    (as a user who types ``-M q35 -kernel ...`` gets them), no display, no reboot."""
    return [QEMU, "-accel", accel, "-M", machine, "-m", "512M", "-smp", "1",
            "-display", "none", "-serial", "null", "-monitor", "none", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-bios", str(bios), "-kernel", str(kernel), "-append", APPEND]


@dataclass
class Access:
    """One traced device access."""

    op: str  # "read" or "write"
    addr: int  # port number or offset in the region
    value: int
    size: int
    region: str  # QEMU's memory region name
    item: str = ""  # the fw_cfg item this access selected, if any

    def __str__(self) -> str:
        return (f"{self.op:<5} {self.region:<16} addr {self.addr:#07x} size {self.size} "
                f"value {self.value:#x}" + (f"  fw_cfg {self.item}" if self.item else ""))


def parse_trace(text: str) -> list[Access]:
    """Device accesses the guest CPU made before kernel entry.  Left out: events QEMU logs
    for itself (``cpu -1``: its reset write to the APIC MSI region, before any guest
    instruction) and the stub kernel's own final write to isa-debug-exit.  An access that
    selected a fw_cfg item (a DMA transfer or a selector write) is labelled with it; file
    selectors are named from QEMU's directory, which it keeps sorted by name."""
    files = sorted(m[3] for m in FW_CFG_EVENT.finditer(text) if m[3])
    out: list[Access] = []
    for line in text.splitlines():
        if m := TRACE_LINE.search(line):
            if m[2] != "-1":
                out.append(Access(m[1], int(m[3], 16), int(m[4], 16), int(m[5]), m[6]))
        elif (m := FW_CFG_EVENT.search(line)) and m[1] and out:
            key = int(m[1], 16) & 0x3FFF  # without the write and arch bits
            index = key - FW_CFG_FILE_FIRST
            out[-1].item = files[index] if m[2] == "unknown" and 0 <= index < len(files) \
                else m[2]
    if out and out[-1].op == "write" and out[-1].region == "isa-debug-exit":
        out.pop()
    return out


def entry_name(status: int | None) -> str | None:
    """Which entry a run ended at, from QEMU's exit status (None: not at an entry)."""
    if status == (NULL_EXIT << 1) | 1:
        return "reset vector"
    return stubkernel.entry_for_status(status)


@dataclass
class Run:
    status: int | None  # QEMU's exit status; None on timeout
    seconds: float  # wall time of the process
    stderr: str
    from_reset: float | None = None  # seconds from the CPU's start to the exit

    @property
    def entry(self) -> str | None:
        return entry_name(self.status)

    def failure(self, expect: str | None = None) -> str | None:
        """Why this run did not end at a kernel entry (or at ``expect``), else None."""
        if self.status is None:
            return f"no kernel entry within {TIMEOUT} s"
        if self.entry is None:
            err = self.stderr.strip().splitlines()
            why = (f": {err[-1][:120]}" if err else
                   " (reset or shutdown) before kernel entry" if self.status == 0 else
                   " before kernel entry")
            return f"QEMU exited with status {self.status}{why}"
        if expect and self.entry != expect:
            return f"entered at {self.entry} in one run, at {expect} in another"
        return None


def run_qemu(cmd: list[str], timeout: float = TIMEOUT, clock_log: Path | None = None) -> Run:
    """Run QEMU; with ``clock_log``, also time it from the reset CPU's start (the log's
    ``vm_state_notify`` timestamp and ``time.time()`` read the same clock)."""
    if clock_log:
        clock_log.unlink(missing_ok=True)
        cmd = cmd + ["-msg", "timestamp=on", "-trace", "vm_state_notify", "-D", str(clock_log)]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        return Run(None, time.perf_counter() - start, (exc.stderr or b"").decode(errors="replace"))
    except FileNotFoundError:
        raise QbootError(f"{cmd[0]} not found; install QEMU (Debian: qemu-system-x86)") from None
    end, seconds = time.time(), time.perf_counter() - start
    run = Run(proc.returncode, seconds, proc.stderr.decode(errors="replace"))
    if clock_log and clock_log.exists():
        if m := VM_RUNNING.search(clock_log.read_text(errors="replace")):
            run.from_reset = end - float(m[1])
    return run


@dataclass
class Firmware:
    """One contestant and what is known about it before it runs."""

    name: str
    path: Path | None
    rom_size: int = 0
    rom_bytes: int = 0
    rom_bytes_method: str = ""  # "manifest" or "non-0x00/0xFF bytes"
    unavailable: str | None = None  # why it cannot run here at all
    built: bool = False  # built by the benchmark into a temporary directory

    @property
    def sha256(self) -> str | None:
        return hashlib.sha256(self.path.read_bytes()).hexdigest() if self.path else None


def rom_usage(path: Path) -> tuple[int, int, str]:
    """(file size, bytes in use, how counted): a qboot-fw manifest beside the ROM
    (``ROM.toml``) when there is one, else the bytes that are neither 0x00 nor 0xFF."""
    data = path.read_bytes()
    man = path.with_name(path.name + ".toml")
    if man.is_file():
        try:
            meta = tomllib.loads(man.read_text())
            if meta.get("sha256") == hashlib.sha256(data).hexdigest():
                return len(data), int(meta["rom_bytes_used"]), "manifest"
        except (tomllib.TOMLDecodeError, KeyError, ValueError):
            pass
    return len(data), len(data) - data.count(0) - data.count(0xFF), "non-0x00/0xFF bytes"


def firmware_file(name: str, path: Path) -> Firmware:
    if not path.is_file():
        return Firmware(name, path, unavailable=f"{path} not found")
    return Firmware(name, path, *rom_usage(path))


def board_machines(board) -> list[str]:
    """The ``-M`` values a board supports (its ``machine``, e.g. ``"q35"`` or, for a board
    that detects the machine at run time, ``"pc|q35|microvm"``)."""
    return [m for m in board.machine.split("|") if m]


def board_for(machine: str, boards: dict) -> str | None:
    """The board to build for ``-M machine``: the one made for it alone, else one that
    lists it among several."""
    fits = [n for n, b in boards.items()
            if machine in (m.split(",")[0] for m in board_machines(b))]
    return min(fits, key=lambda n: len(board_machines(boards[n])), default=None)


def build_ours(machine: str, workdir: Path) -> Firmware:
    """Build qboot-fw for ``-M machine`` with the linux loader."""
    from .build import Selection, build, write
    from .plugins import registry

    boards = registry().boards
    name = board_for(machine, boards)
    if name is None:
        return Firmware("qboot-fw", None, unavailable=f"no qboot-fw board for -M {machine} "
                        f"yet (boards: {', '.join(boards) or 'none'})")
    label, out = f"qboot-fw ({name})", workdir / f"qboot-fw-{name}.bin"
    try:
        result = build(Selection(board=name, loaders=["linux"]))
        write(result, out)
    except QbootError as exc:
        return Firmware(label, None, unavailable=f"build failed: {exc}")
    return Firmware(label, out, len(result.rom), result.manifest["rom_bytes_used"], "manifest",
                    built=True)


@dataclass
class Result:
    firmware: Firmware
    entry: str | None = None
    accesses: list[Access] | None = None  # None: tracing unavailable or run failed
    times: list[float] = field(default_factory=list)  # wall, seconds
    resets: list[float] = field(default_factory=list)  # from reset, seconds
    failure: str | None = None
    sha256: str | None = None  # of the ROM measured

    @property
    def ok(self) -> bool:
        return self.failure is None

    def median(self, metric: str = "wall") -> float | None:
        """Median of ``metric`` ("wall" or "reset") in seconds; None when unknown."""
        values = self.times if metric == "wall" else self.resets
        if not self.ok or not values or len(values) < len(self.times):
            return None
        return statistics.median(values)


@dataclass
class Report:
    machine: str
    accel: str
    runs: int
    qemu_version: str
    command: list[str]
    kernel_size: int
    date: str
    host: str
    load: float  # the 1-minute load average when the benchmark started
    results: list[Result]

    def result(self, role: str) -> Result | None:
        return next((r for r in self.results if r.firmware.name == role), None)

    def over_null(self, r: Result, metric: str = "wall") -> float | None:
        null = self.result("null")
        mine, floor = r.median(metric), null and null.median(metric)
        return None if mine is None or floor is None else mine - floor

    def ratio(self, r: Result, role: str, metric: str = "reset") -> float | None:
        """``r``'s time over the null firmware divided by ``role``'s."""
        other = self.result(role)
        if r.firmware.name == "null" or other is None:
            return None
        mine, theirs = self.over_null(r, metric), self.over_null(other, metric)
        if mine is None or not theirs or theirs <= 0:
            return None
        return mine / theirs

    def as_dict(self) -> dict:
        rows = []
        for r in self.results:
            fw = r.firmware
            rows.append({
                "name": fw.name, "path": None if fw.built or not fw.path else str(fw.path),
                "sha256": r.sha256,
                "ok": r.ok, "reason": r.failure, "entry": r.entry,
                "median_s": r.median(), "over_null_s": self.over_null(r),
                "from_reset_median_s": r.median("reset"),
                "from_reset_over_null_s": self.over_null(r, "reset"),
                "vs_qboot": self.ratio(r, "qboot"), "vs_seabios": self.ratio(r, "SeaBIOS"),
                "wall_vs_qboot": self.ratio(r, "qboot", "wall"),
                "wall_vs_seabios": self.ratio(r, "SeaBIOS", "wall"),
                "accesses": None if r.accesses is None else len(r.accesses),
                "rom_size": fw.rom_size or None, "rom_bytes": fw.rom_bytes or None,
                "rom_bytes_method": fw.rom_bytes_method or None, "times_s": r.times,
                "from_reset_s": r.resets,
            })
        return {"date": self.date, "host": self.host, "load_average": self.load,
                "qemu": self.qemu_version,
                "machine": self.machine, "accel": self.accel, "runs": self.runs,
                "kernel_size": self.kernel_size, "command": self.command,
                "accesses_counted": "memory_region_ops_read/write trace events of the guest "
                                    "CPU before kernel entry, excluding the stub kernel's "
                                    "final isa-debug-exit write", "results": rows}


def qemu_version() -> str:
    try:
        out = subprocess.run([QEMU, "--version"], capture_output=True, text=True).stdout
    except FileNotFoundError:
        raise QbootError(f"{QEMU} not found; install QEMU (Debian: qemu-system-x86)") from None
    return out.splitlines()[0].replace("QEMU emulator version ", "") if out else "unknown"


def traced_run(cmd: list[str], log: Path) -> tuple[Run, list[Access] | None]:
    """A run with ``TRACE_EVENTS`` logged to ``log``; accesses None when the log has none
    (a QEMU built without the log trace backend)."""
    log.unlink(missing_ok=True)
    run = run_qemu(cmd + [a for ev in TRACE_EVENTS for a in ("-trace", ev)] + ["-D", str(log)])
    text = log.read_text(errors="replace") if log.exists() else ""
    return run, (parse_trace(text) if TRACE_LINE.search(text) else None)


def check_kvm(machine: str, workdir: Path) -> None:
    """Raise QbootError unless a null-firmware run under KVM works."""
    if not Path("/dev/kvm").exists():
        raise QbootError("--accel kvm: /dev/kvm does not exist here; use --accel tcg")
    bios = workdir / "null-kvm.bin"
    bios.write_bytes(null_firmware())
    cmd = [QEMU, "-accel", "kvm", "-M", machine, "-display", "none", "-no-reboot",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-bios", str(bios)]
    run = run_qemu(cmd, timeout=10)
    if run.status != (NULL_EXIT << 1) | 1:
        why = "timed out" if run.status is None else f"exited with status {run.status}"
        err = run.stderr.strip().splitlines()
        raise QbootError(f"--accel kvm: KVM does not work here (a null-firmware run {why}"
                         f"{': ' + err[-1] if err else ''}); use --accel tcg")


def bench(machine: str = "q35", accel: str = "tcg", runs: int = 10, roms=(),
          progress=lambda msg: None) -> Report:
    """Run the benchmark; ``roms`` replaces the freshly built qboot-fw ROM."""
    if machine not in MACHINES:
        raise QbootError(f"unknown machine {machine!r}; valid machines: {', '.join(MACHINES)}")
    if accel not in ACCELS:
        raise QbootError(f"unknown accelerator {accel!r}; valid: {', '.join(ACCELS)}")
    if runs < 1:
        raise QbootError("-n must be at least 1")
    version, load = qemu_version(), os.getloadavg()[0]
    date = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory(prefix="qboot-fw-bench-") as tmp:
        tmp = Path(tmp)
        if accel == "kvm":
            progress("checking that KVM works")
            check_kvm(machine, tmp)
        kernel = stubkernel.write_stub_bzimage(tmp / "stub-bzImage")
        (tmp / "null.bin").write_bytes(null_firmware())
        firmwares = [Firmware("null", tmp / "null.bin", *rom_usage(tmp / "null.bin"), built=True),
                     firmware_file("qboot", QBOOT_ROM), firmware_file("SeaBIOS", SEABIOS_ROM)]
        if roms:
            firmwares += [firmware_file(Path(p).name, Path(p)) for p in roms]
        else:
            firmwares.append(build_ours(machine, tmp))
        results = [Result(fw, failure=fw.unavailable, sha256=None if fw.unavailable else fw.sha256)
                   for fw in firmwares]

        for r in results:
            if not r.ok:
                continue
            progress(f"tracing {r.firmware.name}")
            run, r.accesses = traced_run(qemu_command(machine, accel, r.firmware.path, kernel),
                                         tmp / "trace.log")
            r.failure, r.entry = run.failure(), run.entry
        null = results[0]
        if not null.ok:
            raise QbootError(f"the null firmware does not run on -M {machine}: {null.failure}")

        for i in range(runs):  # interleaved, each round in a rotated order
            progress(f"round {i + 1} of {runs}")
            live = [r for r in results if r.ok]
            for r in live[i % len(live):] + live[:i % len(live)]:
                run = run_qemu(qemu_command(machine, accel, r.firmware.path, kernel),
                               clock_log=tmp / "clock.log")
                r.failure = run.failure(expect=r.entry)
                r.times.append(run.seconds)
                if run.from_reset is not None:
                    r.resets.append(run.from_reset)
        command = qemu_command(machine, accel, Path("FIRMWARE"), Path("STUB-KERNEL"))
        return Report(machine, accel, runs, version, command, kernel.stat().st_size, date,
                      f"{platform.node()} ({platform.machine()}, {os.cpu_count()} x "
                      f"{_cpu_model()})", load, results)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


# -- output -------------------------------------------------------------------------------

def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{1000 * seconds:.1f}"


def _ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def table(rep: Report) -> str:
    """The report as a plain-text table with its notes."""
    head = ["firmware", "kernel entry", "wall ms", "over null", "from reset ms", "over null",
            "vs qboot", "vs SeaBIOS", "accesses", "ROM bytes"]
    rows = []
    for r in rep.results:
        fw = r.firmware
        if not r.ok:
            rows.append([fw.name, f"n/a ({r.failure})"])
            continue
        how = "manifest" if fw.rom_bytes_method == "manifest" else "nonblank"
        rows.append([fw.name, r.entry or "-", _ms(r.median()), _ms(rep.over_null(r)),
                     _ms(r.median("reset")), _ms(rep.over_null(r, "reset")),
                     _ratio(rep.ratio(r, "qboot")), _ratio(rep.ratio(r, "SeaBIOS")),
                     "n/a" if r.accesses is None else str(len(r.accesses)),
                     f"{fw.rom_bytes} ({how})"])
    full = [row for row in rows if len(row) == len(head)]
    width = [max(len(row[i]) for row in [head, *full]) for i in range(len(head))]
    lines = [f"qboot-fw bench: -M {rep.machine}, -accel {rep.accel}, {rep.runs} runs each, "
             f"QEMU {rep.qemu_version}, {rep.date}",
             f"host: {rep.host}, load average {rep.load:.2f} at start", ""]
    for row in [head, *rows]:
        if len(row) == len(head):
            lines.append("  ".join(c.ljust(width[i]) if i < 2 else c.rjust(width[i])
                                   for i, c in enumerate(row)).rstrip())
        else:
            lines.append(f"{row[0].ljust(width[0])}  {row[1]}")
    lines += ["",
              "wall: median of the whole QEMU run; from reset: median from the reset CPU's "
              "start to QEMU's exit (start-up left out);",
              "over null: minus the null firmware's median (QEMU's own cost); vs qboot / "
              "vs SeaBIOS: ratio of the from-reset over-null times.",
              "accesses: memory_region_ops_read/write trace events from the guest CPU before "
              "kernel entry (the stub kernel's own isa-debug-exit write is not counted).",
              "ROM bytes: manifest = code and data placed by qboot-fw; nonblank = bytes of the "
              "image that are neither 0x00 nor 0xFF.",
              f"command: {' '.join(rep.command)}",
              "  timed runs add -msg timestamp=on -trace vm_state_notify -D LOG; the counting "
              f"run adds -trace for {', '.join(TRACE_EVENTS)}",
              f"kernel: stub bzImage, {rep.kernel_size} bytes (qbootcore/stubkernel.py)"]
    if rep.load > (os.cpu_count() or 1) / 2:
        lines.append(f"warning: the host was busy (load {rep.load:.2f} on {os.cpu_count()} "
                     "CPUs); the times are noisy, the access counts are not")
    return "\n".join(lines)


def svg(rep: Report) -> str:
    """A horizontal bar chart of the from-reset medians (the wall medians when QEMU cannot
    timestamp its trace): the null firmware's part in grey, the time over it in colour,
    labelled with the over-null time and the access count."""
    metric = "reset" if all(r.median("reset") is not None
                            for r in rep.results if r.median() is not None) else "wall"
    ok = [r.median(metric) for r in rep.results if r.median(metric) is not None]
    bar_h, gap, left, width, top = 22, 10, 170, 480, 40
    scale = width / max(ok) if ok else 1
    floor = rep.result("null").median(metric) or 0
    height = top + len(rep.results) * (bar_h + gap) + 30
    what = "from reset to kernel entry" if metric == "reset" else "wall time"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 220}" '
           f'height="{height}" font-family="sans-serif" font-size="12">',
           f'<text x="10" y="20" font-size="14">{what}, -M {rep.machine} -accel {rep.accel}, '
           f'median of {rep.runs} (QEMU {_esc(rep.qemu_version)})</text>']
    for i, r in enumerate(rep.results):
        y, value = top + i * (bar_h + gap), r.median(metric)
        out.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">'
                   f'{_esc(r.firmware.name)}</text>')
        if value is None:
            out.append(f'<text x="{left}" y="{y + 15}" fill="#888">n/a ({_esc(r.failure)})'
                       '</text>')
            continue
        base = min(floor, value) * scale
        out.append(f'<rect x="{left}" y="{y}" width="{base:.1f}" height="{bar_h}" '
                   'fill="#bbb"/>')
        out.append(f'<rect x="{left + base:.1f}" y="{y}" width="{value * scale - base:.1f}" '
                   f'height="{bar_h}" fill="#3a7bd5"/>')
        acc = "" if r.accesses is None else f", {len(r.accesses)} accesses"
        out.append(f'<text x="{left + value * scale + 6:.1f}" y="{y + 15}">{_ms(value)} ms '
                   f'({1000 * rep.over_null(r, metric):+.1f} over null{acc})</text>')
    out.append(f'<text x="10" y="{height - 10}" fill="#555">grey: the null firmware (QEMU '
               'itself); blue: time over it</text>')
    return "\n".join(out + ["</svg>", ""])


def _esc(text) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
