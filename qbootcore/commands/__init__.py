"""Sub-commands beyond ``build`` and ``list``: each module here defines ``register(app)``,
which adds its typer commands.  :mod:`qbootcore.cli` registers every module it finds, so a
new command is a new file."""

from __future__ import annotations

import importlib
import pkgutil


def register_all(app) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        importlib.import_module(f"{__name__}.{info.name}").register(app)
