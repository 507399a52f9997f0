"""The ``qboot-fw`` command line."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import List, Optional

import typer

from . import __version__
from .build import Selection, build, read_recipe, write
from .errors import QbootError
from .plugins import registry

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Assemble a minimal x86 BIOS ROM for QEMU from boards and loaders.")


def fail(message: str) -> None:
    typer.echo(f"qboot-fw: error: {message}", err=True)
    raise typer.Exit(2)


def make_selection(recipe: Optional[Path] = None, board: Optional[str] = None,
                   loader: Optional[List[str]] = None, plugin: Optional[List[str]] = None,
                   assembler: Optional[str] = None,
                   option: Optional[List[str]] = None) -> Selection:
    """The recipe (if any) with the command line's choices on top (``build``, ``run``)."""
    sel = read_recipe(recipe) if recipe else Selection()
    if board:
        sel.board = board
    if loader:
        sel.loaders = list(loader)
    if plugin:
        sel.plugins = list(plugin)
    if assembler:
        sel.assembler = assembler
    for text in option or ():
        name, dot, rest = text.partition(".")
        key, eq, value = rest.partition("=")
        if not (name and dot and key and eq):
            raise QbootError(f"--option {text!r} is not COMPONENT.KEY=VALUE "
                             f"(e.g. --option linux.entry=64)")
        sel.options.setdefault(name, {})[key] = value
    return sel


@app.command("build")
def build_cmd(
    output: Optional[Path] = typer.Option(None, "-o", "--output",
                                          help="ROM file to write (manifest: OUTPUT.toml)"),
    board: Optional[str] = typer.Option(None, "--board", help="board (see `qboot-fw list`)"),
    loader: Optional[List[str]] = typer.Option(None, "--loader",
                                               help="boot protocol; repeat to try several in order"),
    plugin: Optional[List[str]] = typer.Option(None, "--plugin", help="feature plugin; repeatable"),
    assembler: Optional[str] = typer.Option(None, "--assembler", help="assembler backend"),
    recipe: Optional[Path] = typer.Option(None, "--recipe", help="TOML recipe with the same choices"),
    option: Optional[List[str]] = typer.Option(
        None, "--option", help="component option as COMPONENT.KEY=VALUE, e.g. linux.entry=64; "
                               "repeatable"),
) -> None:
    """Build a ROM.  Command-line choices override the recipe's."""
    try:
        sel = make_selection(recipe, board, loader, plugin, assembler, option)
        if output is None:
            fail("no output file; add -o bios.bin")
        start = time.perf_counter()
        result = build(sel)
        manifest = write(result, output)
    except QbootError as exc:
        fail(str(exc))
        return
    m = result.manifest
    typer.echo(f"{output}: {m['board']} with {', '.join(m['loaders'])}"
               f"{' + ' + ', '.join(m['plugins']) if m['plugins'] else ''}: "
               f"{m['rom_bytes_used']} of {m['rom_size']} ROM bytes used, "
               f"sha256 {m['sha256'][:16]}, {1000 * (time.perf_counter() - start):.0f} ms "
               f"(manifest {manifest})")


@app.command("list")
def list_cmd(verbose: bool = typer.Option(False, "-v", "--verbose",
                                          help="also each component's options")) -> None:
    """List boards, loaders, plugins and assembler backends."""
    try:
        reg = registry()
    except QbootError as exc:
        fail(str(exc))
        return
    for title, items in (("boards", reg.boards), ("loaders", reg.loaders),
                         ("plugins", reg.features), ("assemblers", reg.assemblers)):
        typer.echo(f"{title}:")
        if not items:
            typer.echo("  (none)")
        width = max((len(n) for n in items), default=0)
        for name, item in items.items():
            typer.echo(f"  {name:<{width}}  {item.description}")
            for key, opt in (getattr(item, "options", {}) if verbose else {}).items():
                typer.echo(f"  {'':<{width}}    --option {name}.{key}  {opt.describe()}")


@app.command("version")
def version_cmd() -> None:
    """Print the qboot-fw version."""
    typer.echo(__version__)


def _register_commands() -> None:
    from .commands import register_all
    register_all(app)


_register_commands()


def main() -> None:
    # typer/click report usage errors with exit status 2 as well
    app(prog_name="qboot-fw")


if __name__ == "__main__":
    sys.exit(main())
