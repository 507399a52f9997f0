"""Hook specifications: the whole plugin API of qboot-fw.

A plugin is any module or object with functions named like the hooks below, decorated with
``qbootcore.hookimpl``.  The core registers its own built-ins from the entry-point group
``qboot_fw`` (see pyproject.toml) -- the same group a third-party package uses::

    [project.entry-points.qboot_fw]
    myplugin = "my_package.plugin_module"

Registration hooks return plain data objects from :mod:`qbootcore.model`; none of them emit
code directly.  Code is emitted later, when a build selects the component and calls its
``fragments(ctx)`` callable.  Every hook here is documented: docs/hooks.md is generated
from these docstrings (``python -m qbootcore.docs``), and ``tests/unit/test_docs.py`` fails
when a hook has none or the file is out of date.
"""

from __future__ import annotations

from typing import Sequence

import pluggy

from .model import AssemblerBackend, Board, BuildContext, Feature, Loader, Tracer

PROJECT = "qboot_fw"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def qboot_boards() -> Sequence[Board]:
    """Return the boards (QEMU machine types) this plugin provides.

    Called once when the plugin manager is first asked for the list of boards (``qboot-fw
    list``, ``qboot-fw build``).  Returns a sequence of :class:`~qbootcore.model.Board`;
    names must be unique across all plugins.
    """


@hookspec
def qboot_loaders() -> Sequence[Loader]:
    """Return the boot-protocol loaders this plugin provides.

    Called once, like :func:`qboot_boards`.  Returns a sequence of
    :class:`~qbootcore.model.Loader`; a build lists the loaders it includes with ``--loader``
    and the ROM probes them in that order.
    """


@hookspec
def qboot_features() -> Sequence[Feature]:
    """Return optional features (tables, devices, services) this plugin provides.

    Called once, like :func:`qboot_boards`.  Returns a sequence of
    :class:`~qbootcore.model.Feature`, selected with ``--plugin NAME`` or ``plugins = [...]``
    in a recipe, or pulled in by another component's ``requires``.
    """


@hookspec
def qboot_assemblers() -> Sequence[AssemblerBackend]:
    """Return the assembler backends this plugin provides.

    Called once, like :func:`qboot_boards`.  Returns a sequence of
    :class:`~qbootcore.model.AssemblerBackend`; the build picks one by name with
    ``--assembler`` (default ``keystone``).
    """


@hookspec
def qboot_build_started(ctx: BuildContext) -> None:
    """Observe a build before any fragment is emitted.

    Called once per build with the resolved selection.  Raise
    :class:`qbootcore.errors.QbootError` to refuse a combination the plugin cannot support
    (the message is shown to the user as is).  The return value is ignored.
    """


@hookspec
def qboot_tracers() -> Sequence[Tracer]:
    """Return boot tracers for ``qboot-fw run --trace`` (docs/run.md).

    Called once, like :func:`qboot_boards`.  Returns a sequence of
    :class:`~qbootcore.model.Tracer`: the feature a traced build adds and the function that
    turns what the guest wrote on the debug console into a report.  ``run`` knows tracing
    only through this hook; the built-in one is ``plugins/trace``.
    """
