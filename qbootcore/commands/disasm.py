"""``qboot-fw disasm bios.bin [SYMBOL]``: the ROM disassembled with symbol names, each
fragment in its own mode (16- or 32-bit), data shown as data."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import QbootError


def register(app) -> None:
    @app.command("disasm")
    def disasm_cmd(
        rom: Path = typer.Argument(..., help="ROM written by qboot-fw build (with ROM.toml)"),
        symbol: Optional[str] = typer.Argument(
            None, help="only this fragment, or this label up to the next global one"),
    ) -> None:
        """Disassemble the ROM (or one symbol) with symbol names."""
        from .. import manifest_schema, romtools

        try:
            rom_bytes, manifest = romtools.load(rom)
            manifest_schema.check(manifest, len(rom_bytes), romtools.manifest_path(rom))
            lines = list(romtools.listing(rom_bytes, manifest, symbol))
        except QbootError as exc:
            typer.echo(f"qboot-fw: error: {exc}", err=True)
            raise typer.Exit(2)
        typer.echo("\n".join(lines).lstrip("\n"))
