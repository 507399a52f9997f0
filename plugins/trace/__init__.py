"""The ``trace`` feature: a boot timeline for ``qboot-fw run --trace`` (docs/run.md).

Its ``after_step`` routine reads the TSC after every step of the init chain (and before each
loader probe) and prints ``<step name> <tsc>`` on the debug console (port 0x402); a last mark
at the end of ``handoff`` dates the kernel entry.  Every character is a device access, so the
feature belongs in traced builds only; the printing's own cost is measured and subtracted.
"""

from pathlib import Path

from qbootcore import hookimpl
from qbootcore.model import Feature, Fragment, Step, Tracer

HERE = Path(__file__).parent

#: the first step of the chain and the last of handoff (orders no other step should use)
FIRST, LAST = -1000, 1000


def fragments(ctx):
    return [Fragment.from_file(HERE / "trace.asm", "text32")]


@hookimpl
def qboot_features():
    return [Feature(
        name="trace",
        description="boot timeline: '<step> <tsc>' on the debug console after every step "
                    "(for qboot-fw run --trace; costs device accesses)",
        fragments=fragments,
        constants=(HERE / "trace.inc",),
        steps=(Step("chipset", "trace_start", order=FIRST),
               Step("handoff", "trace_handoff", order=LAST)),
        after_step="trace_mark",
    )]


@hookimpl
def qboot_tracers():
    from . import timeline
    return [Tracer(name="trace", feature="trace",
                   description="TSC marks after every init-chain step, as a table of steps "
                               "(microseconds, or instructions with --icount)",
                   report=timeline.report)]
