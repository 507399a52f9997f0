"""``qboot-fw new-plugin NAME``: write a plugin package skeleton that builds, boots and
passes its own tests as it is.

The package registers through the ``qboot_fw`` entry-point group, like every built-in, so
``pip install ./qboot-fw-NAME`` is all it takes for ``qboot-fw list`` to show it.  Each kind
(feature, loader, board) gets documented routines that do something small and real, to be
replaced, a unit test (emulator) and an end-to-end test (QEMU); the files are templates in
qbootcore/templates (package data).  docs/plugins.md explains what each kind must do.
"""

from __future__ import annotations

import keyword
import re
from importlib.resources import files
from pathlib import Path
from string import Template
from typing import Optional

import typer

from .. import __version__
from ..errors import QbootError

KINDS = ("feature", "loader", "board")
NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,30}")
HOOK = {"feature": "qboot_features", "loader": "qboot_loaders", "board": "qboot_boards"}
#: the templates (package data, string.Template syntax): output path -> template path,
#: relative to qbootcore/templates; KIND is the kind's directory
TEMPLATES = {
    "pyproject.toml": "pyproject.toml.tmpl",
    "README.md": "README.md.tmpl",
    "$name.toml": "KIND/recipe.toml.tmpl",
    "$package/__init__.py": "KIND/__init__.py.tmpl",
    "$package/$name.asm": "KIND/plugin.asm.tmpl",
    "$package/$name.inc": "KIND/plugin.inc.tmpl",
    "tests/test_$name.py": "KIND/test_unit.py.tmpl",
    "tests/test_${name}_e2e.py": "KIND/test_e2e.py.tmpl",
}


def template_dir() -> Path:
    return Path(str(files("qbootcore") / "templates"))


def skeleton(name: str, kind: str = "feature", machine: str | None = None) -> dict[str, str]:
    """The files of a plugin package, relative path -> text."""
    if not NAME_RE.fullmatch(name) or keyword.iskeyword(name):
        raise QbootError(f"plugin name {name!r} must be lower case letters, digits and '_', "
                         f"starting with a letter (at most 31 characters)")
    if kind not in KINDS:
        raise QbootError(f"unknown kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    package = f"qboot_fw_{name}"
    values = {"name": name, "NAME": name.upper(), "kind": kind, "package": package,
              "dist": f"qboot-fw-{name.replace('_', '-')}", "hook": HOOK[kind],
              "machine": machine or "pc", "core_version": __version__}
    root = template_dir()
    out = {}
    for target, source in TEMPLATES.items():
        text = (root / source.replace("KIND", kind)).read_text()
        out[Template(target).substitute(values)] = Template(text).substitute(values)
    return out


def write_skeleton(out: Path, files: dict[str, str]) -> None:
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise QbootError(f"{out} already exists and is not an empty directory; choose another -o")
    if not out.parent.is_dir():
        raise QbootError(f"cannot write {out}: directory {out.parent} does not exist")
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _taken_names() -> dict[str, str]:
    """Names of the installed boards, loaders and features (they share no namespace in the
    registry, but one name for two things would confuse every recipe)."""
    from ..plugins import registry
    reg = registry()
    return {**{n: "feature" for n in reg.features}, **{n: "loader" for n in reg.loaders},
            **{n: "board" for n in reg.boards}}


def register(app) -> None:
    @app.command("new-plugin")
    def new_plugin_cmd(
        name: str = typer.Argument(..., help="plugin name: lower case, digits, '_'"),
        kind: str = typer.Option("feature", "--kind", help=f"one of: {', '.join(KINDS)}"),
        output: Optional[Path] = typer.Option(None, "-o", "--output",
                                              help="directory to create (default ./qboot-fw-NAME)"),
        machine: Optional[str] = typer.Option(None, "--machine",
                                              help="board only: the QEMU -M value (default pc; "
                                                   "the skeleton's code is for the i440fx)"),
    ) -> None:
        """Write a plugin package skeleton that builds, boots and passes its tests.

        pyproject.toml with the qboot_fw entry point, the hook, documented .asm routines,
        a .inc, a recipe, a unit test (emulator) and an e2e test (QEMU); see docs/plugins.md.
        """
        try:
            taken = _taken_names()
            if name in taken:
                raise QbootError(f"a {taken[name]} named {name!r} is already installed; "
                                 f"choose another name")
            files = skeleton(name, kind, machine)
            out = output or Path(f"qboot-fw-{name.replace('_', '-')}")
            write_skeleton(out, files)
        except QbootError as exc:
            typer.echo(f"qboot-fw: error: {exc}", err=True)
            raise typer.Exit(2)
        where = out if out.is_absolute() else Path(".") / out  # pip: a path, not a name
        typer.echo(f"{out}: {kind} plugin {name!r} ({len(files)} files); next: "
                   f"pip install -e '{where}[test]' && pytest {where} && "
                   f"qboot-fw build --recipe {where / (name + '.toml')} -o bios.bin")
