"""Plugin discovery: one pluggy manager, fed from the ``qboot_fw`` entry-point group."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata

import pluggy

from . import core_plugin, hookspecs
from .errors import QbootError
from .model import AssemblerBackend, Board, Feature, Loader

ENTRY_POINT_GROUP = "qboot_fw"
#: ``QBOOT_FW_PLUGINS=builtin`` in the environment: load only the plugins qboot-fw itself
#: ships, not every installed package's (the project's own tests set it, so that an
#: installed third-party plugin cannot change what they build)
PLUGINS_ENV = "QBOOT_FW_PLUGINS"
DISTRIBUTION = "qboot-fw"


def make_manager(extra: tuple = (), builtin_only: bool | None = None) -> pluggy.PluginManager:
    """A plugin manager with the core, every installed entry point (only qboot-fw's own when
    ``builtin_only``, default: ``$QBOOT_FW_PLUGINS == "builtin"``), and ``extra`` plugins."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(core_plugin, name="core")
    if builtin_only is None:
        builtin_only = os.environ.get(PLUGINS_ENV) == "builtin"
    if builtin_only:
        for ep in metadata.distribution(DISTRIBUTION).entry_points.select(group=ENTRY_POINT_GROUP):
            pm.register(ep.load(), name=ep.name)
    else:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in extra:
        pm.register(plugin)
    return pm


@dataclass(frozen=True)
class Registry:
    """Everything the installed plugins registered, by name."""

    boards: dict[str, Board]
    loaders: dict[str, Loader]
    features: dict[str, Feature]
    assemblers: dict[str, AssemblerBackend]
    manager: pluggy.PluginManager


def _collect(results, kind: str) -> dict:
    out: dict = {}
    for batch in results:
        for item in batch or ():
            if item.name in out:
                raise QbootError(f"two plugins register a {kind} named {item.name!r}; "
                                 f"uninstall one of them")
            out[item.name] = item
    return dict(sorted(out.items()))


def build_registry(pm: pluggy.PluginManager) -> Registry:
    h = pm.hook
    return Registry(boards=_collect(h.qboot_boards(), "board"),
                    loaders=_collect(h.qboot_loaders(), "loader"),
                    features=_collect(h.qboot_features(), "feature"),
                    assemblers=_collect(h.qboot_assemblers(), "assembler backend"),
                    manager=pm)


@lru_cache(maxsize=1)
def registry() -> Registry:
    """The registry of the installed plugins (cached for the life of the process)."""
    return build_registry(make_manager())
