"""Plain data objects that plugins register and emit.

Plugins never subclass anything: a board, loader, feature or assembler backend is a frozen
dataclass returned from a hook (see :mod:`qbootcore.hookspecs`), and the code it contributes
is a list of :class:`Fragment` objects returned by its ``fragments`` callable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

#: Boot stages, in the order the generated init chain calls them (see docs/architecture.md).
#: Each :class:`Step` names one of these.  ``handoff`` steps are not called by the chain but
#: by the loader that boots the kernel, through the generated ``handoff`` routine, after its
#: last allocation and before it hands the memory map over (e.g. reserving the table zone,
#: making the F-segment read-only).
STAGES = ("chipset", "fw_cfg", "memory", "reserve", "tables", "late", "boot", "handoff")


@dataclass(frozen=True)
class Step:
    """A 32-bit routine the core calls during boot.

    ``symbol`` must be a ``.global`` label of one of the plugin's fragments.  Steps of a stage
    run in ascending ``order`` (ties: plugin order, then symbol name).  Contract: called with
    ``call`` in 32-bit flat protected mode, interrupts off, DF clear, ESP on the firmware
    stack; may clobber EAX, EBX, ECX, EDX, ESI, EDI; must preserve EBP and ESP.
    """

    stage: str
    symbol: str
    order: int = 50


@dataclass(frozen=True)
class Fragment:
    """One unit of code or data placed in a ROM region (or, for ``bss``, in firmware RAM).

    Exactly one of ``source`` (assembly text, Intel syntax) or ``data`` (raw bytes) is set,
    except for region ``bss`` where only ``size`` is used.  Labels in ``source`` are local to
    the fragment unless declared ``.global``; ``symbols`` exports offsets into ``data``
    fragments (and the start of ``bss`` fragments).
    """

    name: str
    region: str
    source: str | None = None
    data: bytes | None = None
    size: int = 0
    bits: int = 32
    align: int = 1
    symbols: Mapping[str, int] = field(default_factory=dict)
    #: named constants visible to this fragment only, e.g. values from recipe options
    constants: Mapping[str, int] = field(default_factory=dict)
    origin: str = "<string>"  # file the source came from, for error messages
    owner: str = "core"  # plugin name; filled in by the build driver

    @classmethod
    def from_file(cls, path: Path, region: str, **kw) -> "Fragment":
        """A fragment whose source is the assembly file ``path`` (named after the file)."""
        path = Path(path)
        return cls(name=kw.pop("name", path.stem), region=region, source=path.read_text(),
                   origin=str(path), **kw)


@dataclass(frozen=True)
class BuildContext:
    """What a plugin's ``fragments`` callable is told about the build it is part of."""

    board: str
    loaders: tuple[str, ...]
    plugins: tuple[str, ...]
    options: Mapping[str, Mapping[str, object]]

    def options_for(self, name: str) -> Mapping[str, object]:
        return self.options.get(name, {})


FragmentsFn = Callable[[BuildContext], Sequence[Fragment]]


def _no_fragments(ctx: BuildContext) -> Sequence[Fragment]:
    return ()


@dataclass(frozen=True)
class Component:
    """Fields shared by boards, loaders and features."""

    name: str
    description: str
    fragments: FragmentsFn = _no_fragments
    #: the routines the init chain calls; or a callable(ctx) returning them, for steps that
    #: depend on the recipe's options
    steps: tuple[Step, ...] | Callable[[BuildContext], Sequence[Step]] = ()
    #: constants files (``NAME = expr ; source``) made visible to every fragment
    constants: tuple[Path, ...] = ()
    #: names of features this component pulls in
    requires: tuple[str, ...] = ()
    #: recipe options this component accepts, name -> one-line description
    options: Mapping[str, str] = field(default_factory=dict)
    #: a ``.global`` routine the init chain calls after every step and before each loader
    #: probe, with ESI = the step's name (NUL-terminated); for tracing.  It may clobber
    #: EAX, ECX, EDX, ESI, EDI; steps keep no registers live across calls.
    after_step: str = ""


    def steps_for(self, ctx: BuildContext) -> tuple[Step, ...]:
        return tuple(self.steps(ctx) if callable(self.steps) else self.steps)


@dataclass(frozen=True)
class Board(Component):
    """A QEMU machine type: chipset set-up and the machine-specific firmware parts."""

    machine: str = ""  # the value for qemu -M


@dataclass(frozen=True)
class Loader(Component):
    """A boot protocol.  ``probe`` is a ``.global`` 32-bit routine called in the ``boot``
    stage, in the order loaders were given: it returns (preserving nothing but ESP/EBP) when
    the kernel QEMU delivered is not in its format, and never returns when it boots it.  It
    must ``call handoff`` once, after its last allocation and before it copies ``e820_map``
    for the kernel."""

    probe: str = ""
    #: a ``.global`` routine called instead of the probes when QEMU got no ``-kernel``
    #: (from ``kernel_check``, through the generated ``boot_without_kernel``), in loader
    #: order; it never returns when it boots something (a disk) and returns otherwise.
    #: ``-kernel`` always wins: with a kernel, only the probes run.
    without_kernel: str = ""


@dataclass(frozen=True)
class Feature(Component):
    """Optional hardware support or tables, selected with ``--plugin``."""


@dataclass(frozen=True)
class AssemblerBackend:
    """A named assembler; ``factory()`` returns an object with the
    :class:`qbootcore.backends.Assembler` interface."""

    name: str
    description: str
    factory: Callable[[], object]
