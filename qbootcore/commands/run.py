"""``qboot-fw run``: build a ROM (or reuse a cached build, :mod:`qbootcore.cache`) and boot
a kernel with it in QEMU (:mod:`qbootcore.qemu`).

QEMU gets the board's machine type, the serial port on stdio and TCG unless ``--accel
kvm``; the exact command line is printed first.  With ``--trace`` the ROM includes the
feature of a tracer (the ``qboot_tracers`` hook; the built-in one is ``plugins/trace``) and,
once QEMU exits, the tracer's report of the debug console is printed; ``--icount`` runs
QEMU with ``-icount shift=0,sleep=off`` so that the report counts guest instructions
(docs/run.md).
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List, Optional

import typer

from .. import qemu as q
from ..cache import cached_build
from ..errors import QbootError
from ..model import TraceRun
from ..plugins import registry


def tracer_for(name: str | None = None):
    """The tracer ``--trace`` uses: the only one installed, or the one named."""
    tracers = registry().tracers
    if not tracers:
        raise QbootError("--trace: no tracer is installed (the built-in one is the trace "
                         "feature, plugins/trace)")
    if name is None and len(tracers) > 1:
        raise QbootError(f"--trace: several tracers are installed ({', '.join(tracers)}); "
                         f"name one with --tracer")
    name = name or next(iter(tracers))
    if name not in tracers:
        raise QbootError(f"--tracer {name}: no such tracer; installed: {', '.join(tracers)}")
    return tracers[name]


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
                                   help="add a tracer's feature (plugins/trace) and show its report"),
        machine: Optional[str] = typer.Option(
            None, "--machine", help="QEMU -M value (default: the board's machine type; for a "
                                    "board that runs on several, e.g. auto, the first)"),
        accel: str = typer.Option("tcg", "--accel", help="tcg (default) or kvm"),
        memory: str = typer.Option("512M", "-m", "--memory", help="guest RAM (QEMU -m)"),
        qemu: str = typer.Option(q.QEMU, "--qemu",
                                 help="QEMU binary (default $QBOOT_FW_QEMU or "
                                      "qemu-system-x86_64)"),
        icount: bool = typer.Option(False, "--icount",
                                    help="run QEMU with -icount shift=0,sleep=off: "
                                         "deterministic, and --trace counts instructions"),
        tracer_name: Optional[str] = typer.Option(None, "--tracer",
                                                  help="which tracer --trace uses, when "
                                                       "several are installed"),
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
        first.  --trace adds a tracer's feature and prints its report (a boot timeline) when
        QEMU exits; --icount makes the run deterministic and the timeline count instructions.
        """
        from ..cli import make_selection

        def fail(message: str) -> None:
            typer.echo(f"qboot-fw: error: {message}", err=True)
            raise typer.Exit(2)

        try:
            sel = make_selection(recipe, board, loader, plugin, assembler, option)
            tracer = tracer_for(tracer_name) if trace else None
            if tracer and tracer.feature not in sel.plugins:
                sel.plugins.append(tracer.feature)
            for what, path in (("kernel", kernel), ("initrd", initrd)):
                if path is not None and path.is_dir():
                    fail(f"{what} {path} is a directory; give the {what} file in it")
                if path is not None and not path.is_file():
                    fail(f"{what} {path}: no such file")
            if accel not in q.ACCELS:
                fail(f"unknown accelerator {accel!r}; valid: {', '.join(q.ACCELS)}")
            if accel == "kvm" and icount:
                fail("--icount needs TCG; leave --accel kvm out")
            if accel == "kvm" and (problem := q.kvm_problem()):
                fail(f"--accel kvm: {problem}; leave --accel out to use TCG")
            rom, manifest, cached = cached_build(sel, refresh=rebuild)
        except QbootError as exc:
            fail(str(exc))
            return
        machine = machine or q.default_machine(manifest.get("machine", ""))
        if not machine:
            fail(f"board {manifest['board']!r} names no QEMU machine type; give --machine")
        typer.echo(f"qboot-fw: {'cached' if cached else 'built'} {rom} ({manifest['board']} "
                   f"with {', '.join(manifest['loaders'])}"
                   f"{' + ' + ', '.join(manifest['plugins']) if manifest['plugins'] else ''})",
                   err=True)
        with tempfile.TemporaryDirectory(prefix="qboot-fw-run-") as tmp:
            debugcon = Path(tmp) / "debugcon.log" if trace else None
            cmd = q.command(qemu=qemu, machine=machine, bios=rom, kernel=kernel,
                            initrd=initrd, append=append, accel=accel, memory=memory,
                            debugcon=debugcon, icount=icount, extra=tuple(ctx.args))
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
            if tracer:
                text = debugcon.read_text(errors="replace") if debugcon.exists() else ""
                try:
                    out = tracer.report(TraceRun(text, sel, icount, tsc_mhz_opt))
                except QbootError as exc:
                    fail(str(exc))
                    return
                typer.echo("")
                typer.echo(out, nl=False)
        raise typer.Exit(status)
