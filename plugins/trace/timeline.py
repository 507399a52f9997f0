"""The trace feature's report: its debug-console marks as a table of init-chain steps, in
microseconds, or in guest instructions when QEMU ran with ``-icount`` (docs/run.md)."""

from __future__ import annotations

import platform
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from qbootcore import firmware
from qbootcore.build import Selection, resolve
from qbootcore.errors import QbootError
from qbootcore.model import TraceRun
from qbootcore.plugins import Registry, registry

MARK = re.compile(r"^(\S+) ([0-9a-f]{16})$", re.M)


def parse_marks(text: str) -> tuple[list[tuple[str, int]], int | None]:
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
        stages.update({s.symbol: s.stage for s in comp.steps_for(res.ctx)})
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


def render_timeline(rows: list[Row], mhz: float | None, source: str,
                    overhead: int | None = None) -> str:
    """The timeline as a table in microseconds, or in instructions when ``mhz`` is None
    (an -icount run: one TSC tick per instruction)."""

    def fmt(ticks: int) -> str:
        return f"{ticks:,}" if mhz is None else f"{ticks / mhz:,.1f}"
    unit = "instr" if mhz is None else "µs"
    title = (f"boot timeline in guest instructions ({source})" if mhz is None else
             f"boot timeline (TSC at {mhz:,.1f} MHz, {source})")
    lines = [title]
    if not rows:
        return lines[0] + ": no marks on the debug console (was the ROM built with trace?)\n"
    width = max(len(r.what) for r in rows + [Row("", "reset -> kernel entry", 0, 0)])
    stage_w = max(len(r.stage) for r in rows)
    head = (f"  {'stage':<{stage_w}}  {'step':<{width}}  {'at ' + unit:>10}  "
            f"{'took ' + unit:>10}")
    lines += [head, "  " + "-" * (len(head) - 2)]
    for r in rows:
        lines.append(f"  {r.stage:<{stage_w}}  {r.what:<{width}}  {fmt(r.end):>10}  "
                     f"{fmt(r.took):>10}")
    lines.append("  " + "-" * (len(head) - 2))
    reached = rows[-1].what.endswith("loads the kernel") or rows[-1].what == "handoff"
    total = "reset -> kernel entry" if reached else "reset -> last mark"
    lines.append(f"  {'total':<{stage_w}}  {total:<{width}}  {fmt(rows[-1].end):>10}")
    if overhead:
        what = "instructions" if mhz is None else "µs"
        lines.append(f"  (printing the marks took {fmt(overhead)} {what} more, left out above)")
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


def report(run: TraceRun) -> str:
    """The :class:`~qbootcore.model.Tracer` report: the timeline of one traced boot."""
    marks, overhead = parse_marks(run.debugcon)
    if run.icount:
        mhz, source = None, "-icount shift=0,sleep=off: one TSC tick per instruction"
    elif run.tsc_mhz:
        mhz, source = run.tsc_mhz, "--tsc-mhz"
    else:
        mhz, source = tsc_mhz()
    stages, probes = step_stages(run.selection)
    return render_timeline(timeline(marks, stages, probes), mhz, source, overhead)
