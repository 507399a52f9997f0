"""``qboot-fw bench``: firmware cost to kernel entry next to qboot and SeaBIOS
(the logic is in :mod:`qbootcore.bench`; docs/performance.md shows a run)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import QbootError


def register(app) -> None:
    @app.command("bench")
    def bench_cmd(
        roms: Optional[List[Path]] = typer.Argument(
            None, metavar="ROM", show_default=False,
            help="ROMs to measure instead of a fresh qboot-fw build"),
        machine: str = typer.Option("q35", "--machine", help="QEMU machine: q35, pc or microvm"),
        accel: str = typer.Option("tcg", "--accel", help="tcg, or kvm (checked first)"),
        runs: int = typer.Option(10, "-n", "--runs", help="timed runs per firmware"),
        as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
        svg: Optional[Path] = typer.Option(None, "--svg", help="also write a bar chart here"),
        accesses: bool = typer.Option(False, "--accesses",
                                      help="list each device access of the ROMs measured"),
        disk: Optional[Path] = typer.Option(
            None, "--disk", metavar="IMAGE", help="measure a disk boot of IMAGE instead: "
            "reset to boot sector and to kernel entry, qboot-fw next to SeaBIOS"),
        interface: str = typer.Option("virtio", "--interface",
                                      help="with --disk: -drive if=virtio or if=ide"),
    ) -> None:
        """Time from reset to kernel entry and device accesses, for a null firmware, QEMU's
        qboot, SeaBIOS and qboot-fw, all booting the same stub kernel."""
        from .. import bench

        if disk is not None:
            _bench_disk(disk, machine, accel, runs, interface, as_json)
            return

        progress = (lambda msg: None) if as_json else \
            (lambda msg: typer.echo(f"... {msg}", err=True))
        try:
            report = bench.bench(machine, accel, runs, roms or (), progress)
            if svg:
                svg.write_text(bench.svg(report))
        except (QbootError, OSError) as exc:
            typer.echo(f"qboot-fw: error: {exc}", err=True)
            raise typer.Exit(2)
        typer.echo(json.dumps(report.as_dict(), indent=2) if as_json else bench.table(report))
        if accesses and not as_json:
            for r in report.results[3:]:
                typer.echo(f"\n{r.firmware.name}: device accesses before kernel entry")
                for i, acc in enumerate(r.accesses or [], 1):
                    typer.echo(f"{i:4}  {acc}")


def _bench_disk(image: Path, machine: str, accel: str, runs: int, interface: str,
                as_json: bool) -> None:
    """``bench --disk IMAGE`` (qbootcore.diskbench)."""
    from .. import diskbench

    progress = (lambda msg: None) if as_json else (lambda msg: typer.echo(f"... {msg}", err=True))
    try:
        results = diskbench.bench_disk(image, machine, accel, runs, interface, progress)
    except (QbootError, OSError) as exc:
        typer.echo(f"qboot-fw: error: {exc}", err=True)
        raise typer.Exit(2)
    if as_json:
        typer.echo(json.dumps({name: {stage: {"accesses": None if st.accesses is None
                                               else len(st.accesses),
                                               "median_ms": st.median_ms, "failure": st.failure}
                                      for stage, st in stages.items()}
                               for name, stages in results.items()}, indent=2))
    else:
        typer.echo(diskbench.table(results, machine, interface))
