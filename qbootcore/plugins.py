"""Plugin discovery: one pluggy manager, fed from the ``qboot_fw`` entry-point group.

A plugin that fails (raises on import, registers a hook with a wrong signature, returns
the wrong type from a registration hook) is reported and skipped: the rest of the
installed plugins still work, and :attr:`Registry.problems` says, for each skipped plugin,
which distribution package and entry point it was and what went wrong.  Failures later on
(a plugin's ``fragments``/``steps`` callables or its ``qboot_build_started``) become a
:class:`~qbootcore.errors.QbootError` naming the same.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import inspect
import os
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import pluggy

from . import core_plugin, hookspecs
from .errors import QbootError
from .model import AssemblerBackend, Board, Component, Feature, Fragment, Loader, Step, Tracer

ENTRY_POINT_GROUP = "qboot_fw"
#: ``QBOOT_FW_PLUGINS=builtin`` in the environment: load only the plugins qboot-fw itself
#: ships, not every installed package's (the project's own tests set it, so that an
#: installed third-party plugin cannot change what they build)
PLUGINS_ENV = "QBOOT_FW_PLUGINS"
DISTRIBUTION = "qboot-fw"

#: registration hook -> (what it returns, its noun in messages)
REGISTRATION_HOOKS = {
    "qboot_boards": (Board, "board"),
    "qboot_loaders": (Loader, "loader"),
    "qboot_features": (Feature, "feature"),
    "qboot_assemblers": (AssemblerBackend, "assembler backend"),
    "qboot_tracers": (Tracer, "tracer"),
}


@dataclass(frozen=True)
class Origin:
    """Where a plugin came from, for messages: its distribution package and entry point."""

    plugin: str
    distribution: str = ""
    entry_point: str = ""

    def __str__(self) -> str:
        if self.distribution:
            return (f"plugin {self.plugin!r} (entry point {self.entry_point!r} of "
                    f"distribution {self.distribution})")
        return f"plugin {self.plugin!r}"

    @property
    def fix(self) -> str:
        if self.distribution:
            name = self.distribution.split()[0]
            return f"fix or uninstall {name} (pip uninstall {name})"
        return "fix or remove it"


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _guard(fn: Callable, origin: Origin, what: str) -> Callable:
    """``fn`` with its failures (other than a QbootError, which is meant for the user as
    is) turned into a QbootError naming ``origin``.  The signature stays visible to pluggy
    through ``__wrapped__``."""

    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except QbootError:
            raise
        except Exception as exc:
            raise QbootError(f"{origin} failed in {what}: {_describe(exc)}; "
                             f"{origin.fix}") from exc
    return guarded


class _Guarded:
    """A plugin object whose hook implementations are guarded (see :func:`_guard`).  A
    crash in ``qboot_build_started`` fails only builds that use one of the plugin's
    components (``components``, filled in by :func:`build_registry`); other builds go on
    with a warning on stderr."""

    def __init__(self, plugin: object, origin: Origin) -> None:
        for name in dir(plugin):
            if not name.startswith("qboot_"):
                continue
            attr = getattr(plugin, name, None)
            if inspect.isgeneratorfunction(attr):   # a wrapper: build_registry guards it
                setattr(self, name, attr)
            elif callable(attr):
                setattr(self, name, _guard(attr, origin, name))
        self.origin = origin
        self.plugin = plugin
        self.components: set[str] = set()
        started = getattr(plugin, "qboot_build_started", None)
        if callable(started):
            self.qboot_build_started = self._observer(started)

    def _observer(self, fn: Callable) -> Callable:
        origin = self.origin

        @functools.wraps(fn)
        def qboot_build_started(ctx):
            try:
                return fn(ctx)
            except QbootError:
                raise
            except Exception as exc:
                message = (f"{origin} failed in qboot_build_started: {_describe(exc)}; "
                           f"{origin.fix}")
                used = sorted(self.components & {ctx.board, *ctx.loaders, *ctx.plugins})
                if used:
                    raise QbootError(message) from exc
                print(f"qboot-fw: warning: {message} (the build goes on: it uses nothing "
                      f"of this plugin)", file=sys.stderr)
        return qboot_build_started


def _check_fragments(fn: Callable, origin: Origin, component: str) -> Callable:
    def fragments(ctx):
        out = fn(ctx)
        if out is None:
            out = ()
        try:
            out = list(out)
        except TypeError:
            raise QbootError(f"{origin}: {component}.fragments() returned "
                             f"{type(out).__name__}, not a list of Fragment; "
                             f"{origin.fix}") from None
        for item in out:
            if not isinstance(item, Fragment):
                raise QbootError(f"{origin}: {component}.fragments() returned a "
                                 f"{type(item).__name__} among its fragments; {origin.fix}")
        return out
    return _guard(fragments, origin, f"{component}.fragments()")


def _check_steps(steps, origin: Origin, component: str):
    def checked(ctx):
        out = tuple(steps(ctx) if callable(steps) else steps)
        for step in out:
            if not isinstance(step, Step):
                raise QbootError(f"{origin}: {component} has a step of type "
                                 f"{type(step).__name__}, not Step; {origin.fix}")
        return out
    return _guard(checked, origin, f"{component}.steps()")


def _checked_items(result, kind: type, noun: str, origin: Origin, hook: str) -> list:
    """The items a registration hook returned, validated and with their callables
    guarded; a ValueError says what is wrong."""
    if result is None:
        return []
    if isinstance(result, (str, bytes)) or not hasattr(result, "__iter__"):
        raise ValueError(f"{hook}() returned {type(result).__name__}, not a list of "
                         f"{kind.__name__}")
    items = []
    for item in result:
        if not isinstance(item, kind):
            raise ValueError(f"{hook}() returned a {type(item).__name__} among its "
                             f"{noun}s, not a {kind.__name__}")
        if not isinstance(item.name, str) or not item.name:
            raise ValueError(f"{hook}() returned a {noun} without a name")
        if isinstance(item, Component):
            item = dataclasses.replace(
                item, fragments=_check_fragments(item.fragments, origin, item.name),
                steps=_check_steps(item.steps, origin, item.name))
        elif isinstance(item, Tracer):
            item = dataclasses.replace(item, report=_guard(item.report, origin,
                                                           f"{item.name}.report()"))
        else:
            item = dataclasses.replace(item, factory=_guard(item.factory, origin,
                                                            f"{item.name}.factory()"))
        items.append(item)
    return items


def _entry_points() -> list[tuple[importlib.metadata.EntryPoint, str]]:
    """The group's entry points with their distribution as 'name version', the project's
    own first (so that its built-ins win any conflict with a third party)."""
    out = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist
        label = f"{dist.name} {dist.version}" if dist is not None else "an unknown distribution"
        out.append((ep, label))
    return sorted(out, key=lambda x: (not x[1].startswith("qboot-fw "), x[1], x[0].name))


def make_manager(extra: tuple = (), builtin_only: bool | None = None) -> pluggy.PluginManager:
    """A plugin manager with the core, every installed entry point (only qboot-fw's own when
    ``builtin_only``, default: ``$QBOOT_FW_PLUGINS == "builtin"``), and ``extra`` plugins.
    Plugins that cannot be loaded or registered are skipped; the manager's
    ``qboot_problems`` lists why."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(core_plugin, name="core")
    if builtin_only is None:
        builtin_only = os.environ.get(PLUGINS_ENV) == "builtin"
    problems: list[str] = []
    candidates = []
    for ep, dist in _entry_points():
        if builtin_only and not dist.startswith(f"{DISTRIBUTION} "):
            continue
        origin = Origin(ep.name, dist, f"{ep.name} = {ep.value}")
        if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
            continue
        try:
            plugin = ep.load()
        except Exception as exc:
            problems.append(f"{origin} was skipped: importing it raised {_describe(exc)}; "
                            f"{origin.fix}")
            continue
        candidates.append((plugin, ep.name, origin))
    for plugin in extra:
        name = getattr(plugin, "__name__", type(plugin).__name__)
        candidates.append((plugin, None, Origin(name)))
    for plugin, name, origin in candidates:
        try:
            pm.register(_Guarded(plugin, origin), name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            reason = " ".join(str(exc).split())
            problems.append(f"{origin} was skipped: {reason}; {origin.fix}")
    pm.qboot_problems = problems
    return pm


@dataclass(frozen=True)
class Registry:
    """Everything the installed plugins registered, by name; ``problems``: one line per
    plugin that was skipped, naming its distribution, entry point and what went wrong."""

    boards: dict[str, Board]
    loaders: dict[str, Loader]
    features: dict[str, Feature]
    assemblers: dict[str, AssemblerBackend]
    manager: pluggy.PluginManager
    problems: tuple[str, ...] = ()
    tracers: dict[str, Tracer] = field(default_factory=dict)


def build_registry(pm: pluggy.PluginManager) -> Registry:
    problems = list(getattr(pm, "qboot_problems", ()))
    per_plugin: list[tuple[Origin, dict[str, list]]] = []
    wrappers: list[tuple] = []
    for name, plugin in pm.list_name_plugin():
        origin = getattr(plugin, "origin", Origin(str(name)))
        raw = getattr(plugin, "plugin", plugin)
        got: dict[str, list] = {}
        try:
            unknown = sorted(hc.name for hc in pm.get_hookcallers(plugin) or ()
                             if hc.spec is None)
            if unknown:
                raise ValueError(f"it implements {unknown[0]}, which is not a qboot-fw hook "
                                 f"(see docs/hooks.md)")
            for hook, (kind, noun) in REGISTRATION_HOOKS.items():
                opts = pm.parse_hookimpl_opts(plugin, hook)
                if opts is None:
                    continue
                if opts.get("wrapper"):     # sees the others' results: called after them
                    wrappers.append((name, plugin, origin, raw, hook))
                    continue
                try:
                    result = getattr(raw, hook)()
                except QbootError as exc:
                    raise ValueError(f"{hook}() refused: {exc}") from None
                except Exception as exc:
                    raise ValueError(f"{hook}() raised {_describe(exc)}") from None
                got[hook] = _checked_items(result, kind, noun, origin, hook)
        except ValueError as exc:
            if name == "core":
                raise
            problems.append(f"{origin} was skipped: {exc}; {origin.fix}")
            pm.unregister(plugin)
            continue
        per_plugin.append((origin, got))
        if isinstance(plugin, _Guarded):
            plugin.components = {item.name for items in got.values() for item in items}
    for name, plugin, origin, raw, hook in wrappers:
        try:
            added = _call_wrapper(raw, hook, [got.get(hook, []) for _, got in per_plugin])
            items = _checked_items(added, *REGISTRATION_HOOKS[hook], origin, hook)
        except ValueError as exc:
            problems.append(f"{origin} was skipped: {exc}; {origin.fix}")
            pm.unregister(plugin)
            per_plugin = [(o, g) for o, g in per_plugin if o != origin]
            continue
        mine = next((g for o, g in per_plugin if o == origin), None)
        if mine is None:
            per_plugin.append((origin, mine := {}))
        mine.setdefault(hook, []).extend(items)
        if isinstance(plugin, _Guarded):
            plugin.components |= {item.name for item in items}
    found: dict[str, dict] = {hook: {} for hook in REGISTRATION_HOOKS}
    for origin, got in per_plugin:
        for hook, items in got.items():
            noun = REGISTRATION_HOOKS[hook][1]
            for item in items:
                if item.name in found[hook]:
                    raise QbootError(f"two plugins register a {noun} named {item.name!r}; "
                                     f"uninstall one of them")
                found[hook][item.name] = item
    boards, loaders, features, assemblers, tracers = (dict(sorted(found[h].items()))
                                                      for h in REGISTRATION_HOOKS)
    return Registry(boards, loaders, features, assemblers, pm, tuple(problems), tracers)


def _call_wrapper(raw, hook: str, batches: list[list]) -> list:
    """Run a ``wrapper=True`` registration hook (pluggy's new-style wrapper: it yields, is
    sent every other plugin's results, and returns them with its own added, as the ``auto``
    board does) and return only what it added."""
    try:
        gen = getattr(raw, hook)()
        next(gen)
        try:
            gen.send(batches)
        except StopIteration as stop:
            result = stop.value
        else:
            raise ValueError(f"{hook}() wrapper yielded twice")
    except ValueError:
        raise
    except QbootError as exc:
        raise ValueError(f"{hook}() refused: {exc}") from None
    except Exception as exc:
        raise ValueError(f"{hook}() raised {_describe(exc)}") from None
    seen = {id(item) for batch in batches for item in batch}
    return [item for batch in result or () for item in (batch or ()) if id(item) not in seen]


@lru_cache(maxsize=1)
def registry() -> Registry:
    """The registry of the installed plugins (cached for the life of the process)."""
    return build_registry(make_manager())
