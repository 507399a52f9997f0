"""Plugin discovery: one pluggy manager, fed from the ``qboot_fw`` entry-point group."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import pluggy

from . import core_plugin, hookspecs
from .errors import QbootError
from .model import AssemblerBackend, Board, Feature, Loader, Tracer

ENTRY_POINT_GROUP = "qboot_fw"


def make_manager(extra: tuple = ()) -> pluggy.PluginManager:
    """A plugin manager with the core, every installed entry point, and ``extra`` plugins."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(core_plugin, name="core")
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
    tracers: dict[str, Tracer] = field(default_factory=dict)


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
                    manager=pm,
                    tracers=_collect(h.qboot_tracers(), "tracer"))


@lru_cache(maxsize=1)
def registry() -> Registry:
    """The registry of the installed plugins (cached for the life of the process)."""
    return build_registry(make_manager())
