"""``qboot-fw docs hooks``: the hook reference (docs/hooks.md), generated from the code."""

from __future__ import annotations

import typer


def register(app) -> None:
    docs = typer.Typer(no_args_is_help=True, help="Generated documentation.")
    app.add_typer(docs, name="docs")

    @docs.command("hooks")
    def hooks_cmd() -> None:
        """Print the hook reference: every hook and the objects hooks return, from their
        docstrings (what docs/hooks.md holds; `python -m qbootcore.docs` rewrites it)."""
        from ..docs import render_hooks
        from ..errors import QbootError
        try:
            typer.echo(render_hooks(), nl=False)
        except QbootError as exc:
            typer.echo(f"qboot-fw: error: {exc}", err=True)
            raise typer.Exit(2)
