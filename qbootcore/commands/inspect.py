"""``qboot-fw inspect bios.bin``: what a ROM holds, from the manifest written beside it:
regions with their addresses and used/free bytes, and the largest fragments by plugin."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..errors import QbootError


def table(rom: Path, s: dict) -> str:
    """The human-readable report of :func:`qbootcore.romtools.summary`."""
    extras = f" + {', '.join(s['plugins'])}" if s["plugins"] else ""
    out = [f"{rom}: {s['board']} with {', '.join(s['loaders'])}{extras}, assembled with "
           f"{s['assembler']} (qboot-fw {s['qboot_fw_version']}, sha256 {s['sha256'][:16]})",
           f"{s['rom_bytes_used']} of {s['rom_size']} ROM bytes used", "",
           f"{'region':<8} {'start':>10} {'end':>10} {'size':>7} {'used':>7} {'free':>7}  use"]
    for r in s["regions"]:
        note = "" if r["in_rom"] else "  (RAM)"
        out.append(f"{r['name']:<8} {r['start']:#010x} {r['end']:#010x} {r['size']:>7} "
                   f"{r['used']:>7} {r['free']:>7} {100 * r['used'] // max(r['size'], 1):>3}%"
                   f"{note}")
    out += ["", "largest fragments by plugin:"]
    for p in s["by_plugin"]:
        out.append(f"  {p['name']}: {p['rom_bytes']} ROM bytes, {p['ram_bytes']} RAM bytes")
        for f in p["fragments"]:
            out.append(f"    {f['name']:<24} {f['region']:<7} {f['address']:#010x} "
                       f"{f['size']:>6}")
    return "\n".join(out)


def register(app) -> None:
    @app.command("inspect")
    def inspect_cmd(
        rom: Path = typer.Argument(..., help="ROM written by qboot-fw build (with ROM.toml)"),
        as_json: bool = typer.Option(False, "--json", help="print JSON for tools"),
        top: int = typer.Option(5, "--top", help="fragments listed per plugin"),
    ) -> None:
        """Regions (addresses, used and free bytes) and the largest fragments by plugin."""
        from .. import manifest_schema, romtools

        try:
            rom_bytes, manifest = romtools.load(rom)
            manifest_schema.check(manifest, len(rom_bytes), romtools.manifest_path(rom))
            report = romtools.summary(manifest, top)
        except QbootError as exc:
            typer.echo(f"qboot-fw: error: {exc}", err=True)
            raise typer.Exit(2)
        typer.echo(json.dumps({"rom": str(rom), **report}, indent=2) if as_json
                   else table(rom, report))
