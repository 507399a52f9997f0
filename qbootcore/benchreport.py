"""The output of ``qboot-fw bench`` (:mod:`qbootcore.bench`): a plain-text table with its
notes, and an SVG bar chart."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .qemu import ICOUNT, TRACE_EVENTS

if TYPE_CHECKING:
    from .bench import Report

NULL, FLOOR = "null", "floor"



def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{1000 * seconds:.1f}"


def _ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def _count(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


def table(rep: Report) -> str:
    """The report as a plain-text table with its notes."""
    head = ["firmware", "kernel entry", "instructions", "wall ms", "over null",
            "from reset ms", "over null", "over floor", "vs qboot", "vs SeaBIOS", "accesses",
            "ROM bytes"]
    rows = []
    for r in rep.results:
        fw = r.firmware
        if not r.ok:
            rows.append([fw.name, f"n/a ({r.failure})"])
            continue
        how = "manifest" if fw.rom_bytes_method == "manifest" else "nonblank"
        rows.append([fw.name, r.entry or "-", _count(r.instructions), _ms(r.median()),
                     _ms(rep.over_null(r)), _ms(r.median("reset")),
                     _ms(rep.over_null(r, "reset")), _ms(rep.over(r, FLOOR, "reset")),
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
              "over null: minus the null firmware's median (QEMU itself); over floor: minus the "
              "floor ROM's (QEMU's work any firmware must cause);",
              "vs qboot / vs SeaBIOS: ratio of the from-reset over-floor times.",
              "instructions: guest instructions from reset to kernel entry (the stub kernel's "
              "TSC, -icount shift=0,sleep=off); deterministic.",
              "accesses: memory_region_ops_read/write trace events from the guest CPU before "
              "kernel entry (the stub kernel's own TSC and isa-debug-exit writes are not counted).",
              "ROM bytes: manifest = code and data placed by qboot-fw; nonblank = bytes of the "
              "image that are neither 0x00 nor 0xFF.",
              f"command: {' '.join(rep.command)}",
              "  timed runs add -msg timestamp=on -trace vm_state_notify -D LOG; the counting "
              f"run adds -trace for {', '.join(TRACE_EVENTS)};",
              f"  the instruction run adds -debugcon file:LOG -global isa-debugcon.iobase="
              f"0x402 {' '.join(ICOUNT)}",
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
    floor = rep.result(NULL).median(metric) or 0
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
