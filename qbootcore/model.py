"""Plain data objects that plugins register and emit.

Plugins never subclass anything: a board, loader, feature or assembler backend is a frozen
dataclass returned from a hook (see :mod:`qbootcore.hookspecs`), and the code it contributes
is a list of :class:`Fragment` objects returned by its ``fragments`` callable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

from .errors import QbootError

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

    #: one of :data:`STAGES`
    stage: str
    #: the ``.global`` routine to call
    symbol: str
    #: position within the stage, ascending
    order: int = 50


@dataclass(frozen=True)
class Fragment:
    """One unit of code or data placed in a ROM region (or, for ``bss``, in firmware RAM).

    Exactly one of ``source`` (assembly text, Intel syntax) or ``data`` (raw bytes) is set,
    except for region ``bss`` where only ``size`` is used.  Labels in ``source`` are local to
    the fragment unless declared ``.global``; ``symbols`` exports offsets into ``data``
    fragments (and the start of ``bss`` fragments).
    """

    #: for the manifest, ``qboot-fw inspect`` and error messages
    name: str
    #: text32, rodata, fseg, reset or bss (docs/architecture.md, the ROM layout)
    region: str
    #: assembly text (Intel syntax, docs/fragments.md)
    source: str | None = None
    #: raw bytes, instead of ``source``
    data: bytes | None = None
    #: bytes to reserve (region ``bss`` only)
    size: int = 0
    #: 32 or 16: the mode the code runs in
    bits: int = 32
    #: start address alignment, in bytes
    align: int = 1
    #: label -> offset exported from a ``data`` or ``bss`` fragment
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


_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")
#: the types an :class:`Option` may have; ``list`` is a list of strings
OPTION_TYPES = (int, bool, str, list)


@dataclass(frozen=True)
class Option:
    """A recipe option a component accepts (``Component.options``: name -> Option).

    The core converts and checks every value once, before the build starts, whether it came
    from a recipe (a TOML value) or from ``--option NAME.KEY=VALUE`` (a string): ``int``
    takes integers and strings such as ``"0x10000000"`` or ``"4096"``; ``bool`` takes true/false
    and the strings true, false, yes, no, on, off, 1, 0; ``str`` takes strings (and
    integers, as their decimal text); ``list`` is a list of strings, and one string is a
    list of one.  A value outside ``choices``, below ``min`` or above ``max`` (for a list:
    its length) is refused with a one-line message.  ``fragments(ctx)`` and ``steps(ctx)``
    then read the typed value, or ``default`` when the build gave none, with
    ``ctx.option(NAME, KEY)`` or ``ctx.options_for(NAME)[KEY]``.
    """

    #: int, bool, str or list (of strings)
    type: type
    #: the value when the build gives none (None: absent, unless ``required``)
    default: object = None
    #: one line for ``qboot-fw list -v`` and docs/recipes.md
    help: str = ""
    #: the only values accepted, if not empty
    choices: tuple = ()
    #: least value (int) or length (list)
    min: int | None = None
    #: greatest value (int) or length (list)
    max: int | None = None
    #: the build is refused when the option is not given
    required: bool = False

    def __post_init__(self):
        if self.type not in OPTION_TYPES:
            raise TypeError(f"Option type must be one of int, bool, str, list, not {self.type!r}")
        object.__setattr__(self, "choices", tuple(self.choices))
        if self.default is not None:
            self.convert(self.default, "the default")

    def convert(self, value: object, where: str) -> object:
        """``value`` as this option's type, checked; ``where`` names it in the message
        (e.g. ``pmem.legacy_start``).  Raises :class:`QbootError`."""
        kind, v = self.type, value
        if kind is bool:
            text = str(v).strip().lower()
            if not isinstance(v, bool) and text not in _TRUE + _FALSE:
                raise QbootError(f"{where} must be true or false, not {value!r}")
            v = v if isinstance(v, bool) else text in _TRUE
        elif kind is int:
            try:
                if isinstance(v, bool) or not isinstance(v, (int, str)):
                    raise ValueError
                v = v if isinstance(v, int) else int(v.strip(), 0)
            except ValueError:
                raise QbootError(f"{where} must be an integer (e.g. 4096 or 0x10000000), "
                                 f"not {value!r}") from None
        elif kind is str:
            if isinstance(v, bool) or not isinstance(v, (str, int)):
                raise QbootError(f"{where} must be a string, not {value!r}")
            v = str(v)
        else:
            v = [v] if isinstance(v, str) else v
            if not isinstance(v, (list, tuple)) or not all(isinstance(x, str) for x in v):
                raise QbootError(f"{where} must be a list of strings (or one string), "
                                 f"not {value!r}")
            v = list(v)
        if self.choices and v not in self.choices:
            raise QbootError(f"{where} must be one of {', '.join(map(str, self.choices))}, "
                             f"not {value!r}")
        size = len(v) if kind is list else v
        what = "entries" if kind is list else "a value"
        if kind in (int, list) and self.min is not None and size < self.min:
            raise QbootError(f"{where} needs {what} of at least {_num(self.min)}, not {value!r}")
        if kind in (int, list) and self.max is not None and size > self.max:
            raise QbootError(f"{where} needs {what} of at most {_num(self.max)}, not {value!r}")
        return v

    def type_text(self) -> str:
        return "list of strings" if self.type is list else self.type.__name__

    def default_text(self) -> str:
        """``required``, ``none`` or the default as a recipe would write it."""
        d = self.default
        if self.required or d is None:
            return "required" if self.required else "none"
        return str(d).lower() if isinstance(d, bool) else _num(d) if isinstance(d, int) else repr(d)

    def limits_text(self) -> str:
        """The choices or the range, '' when there are none."""
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        if self.min is None and self.max is None:
            return ""
        lo = "" if self.min is None else _num(self.min)
        hi = "" if self.max is None else _num(self.max)
        return f"{'length ' if self.type is list else ''}{lo}..{hi}"

    def describe(self) -> str:
        """One line: type, range or choices, default or 'required', help."""
        parts = [self.type_text(), self.limits_text(),
                 "" if self.default_text() == "none" else
                 "required" if self.required else "default " + self.default_text()]
        return f"({'; '.join(p for p in parts if p)}) {self.help}".rstrip()


def _num(n: int) -> str:
    return f"{n:#x}" if abs(n) >= 0x10000 else str(n)


@dataclass(frozen=True)
class BuildContext:
    """What a plugin's ``fragments`` callable is told about the build it is part of."""

    #: the selected board's name
    board: str
    #: the loaders, in probe order
    loaders: tuple[str, ...]
    #: the features: those selected, then those pulled in by ``requires``
    plugins: tuple[str, ...]
    #: component name -> option name -> typed value (converted by the core, defaults
    #: filled in; an option without default that the build did not give is absent)
    options: Mapping[str, Mapping[str, object]]
    #: the QEMU machine types the selected board runs on (``Board.machines``)
    machines: tuple[str, ...] = ()

    def options_for(self, name: str) -> Mapping[str, object]:
        """The typed options of component ``name`` (see :class:`Option`)."""
        return self.options.get(name, {})

    def option(self, name: str, key: str) -> object:
        """One typed option of component ``name``; None when absent."""
        return self.options_for(name).get(key)


FragmentsFn = Callable[[BuildContext], Sequence[Fragment]]


def _no_fragments(ctx: BuildContext) -> Sequence[Fragment]:
    return ()


@dataclass(frozen=True)
class Component:
    """Fields shared by boards, loaders and features."""

    #: unique among the installed components of its kind; what recipes and ``--board``,
    #: ``--loader``, ``--plugin`` name
    name: str
    #: one line for ``qboot-fw list``
    description: str
    #: ``fragments(ctx)``: the code and data this component adds to a build
    fragments: FragmentsFn = _no_fragments
    #: the routines the init chain calls; or a callable(ctx) returning them, for steps that
    #: depend on the recipe's options
    steps: tuple[Step, ...] | Callable[[BuildContext], Sequence[Step]] = ()
    #: constants files (``NAME = expr ; source``) made visible to every fragment
    constants: tuple[Path, ...] = ()
    #: names of features this component pulls in
    requires: tuple[str, ...] = ()
    #: recipe options this component accepts, name -> :class:`Option` (a plain string,
    #: the first API, declares an untyped ``Option(str, help=...)``)
    options: Mapping[str, Option] = field(default_factory=dict)
    #: a ``.global`` routine the init chain calls after every step and before each loader
    #: probe, with ESI = the step's name (NUL-terminated); for tracing.  It may clobber
    #: EAX, ECX, EDX, ESI, EDI; steps keep no registers live across calls.
    after_step: str = ""

    def __post_init__(self):
        # the first API's ``{"key": "description"}``: a string option
        object.__setattr__(self, "options", {
            key: opt if isinstance(opt, Option) else Option(str, help=str(opt))
            for key, opt in self.options.items()})

    def steps_for(self, ctx: BuildContext) -> tuple[Step, ...]:
        return tuple(self.steps(ctx) if callable(self.steps) else self.steps)


@dataclass(frozen=True)
class Board(Component):
    """A QEMU machine type: chipset set-up and the machine-specific firmware parts.

    ``fragments``, ``steps`` and ``constants`` are the board's own code; code it shares with
    other boards (boards/common: the board interface) goes in ``shared``, which a build
    emits once even when a board such as ``auto`` contains several.  ``host_bridge_id``
    lets the ``auto`` board pick this board at run time, and lets a ROM built for it name the
    machine it was run on instead when something fails there.  A variant is the same
    description with other data, e.g. ``dataclasses.replace(PC, name="mypc", ...)``.
    """

    #: the QEMU machine types (``-M``) this board runs on; the first is what ``qboot-fw run``
    #: passes by default
    machines: tuple[str, ...] = ()
    #: ``machines`` as one string, "|"-separated (filled in from ``machines``, or the other
    #: way round for a description that gives only this)
    machine: str = ""
    #: the vendor/device ID dword the PCI host bridge (00:00.0) reads as through
    #: configuration mechanism #1 on this machine (device << 16 | vendor; all ones on a
    #: machine without PCI ports); None: the machine cannot be recognised by it
    host_bridge_id: int | None = None
    #: whether the ``auto`` board includes this board (needs ``host_bridge_id``; a variant
    #: of a board that is already in ``auto`` sets False)
    in_auto: bool = False
    #: code shared with other boards, emitted once per ROM (a :class:`Component`'s
    #: fragments, steps and constants; the manifest counts its bytes for this board)
    shared: tuple[Component, ...] = ()

    def __post_init__(self):
        super().__post_init__()
        machines = tuple(self.machines) or tuple(m for m in self.machine.split("|") if m)
        object.__setattr__(self, "machines", machines)
        object.__setattr__(self, "machine", "|".join(machines))
        object.__setattr__(self, "shared", tuple(self.shared))


@dataclass(frozen=True)
class KernelFormat:
    """How QEMU shows that the ``-kernel`` it loaded is in a loader's format: it names, as
    fw_cfg files ``genroms/<rom>.bin``, the option ROM it would boot the kernel with under
    its own BIOS (QEMU hw/i386/x86.c, x86_load_linux).  The core generates, from every
    installed loader's formats, the table that lets a ROM without the right loader say what
    QEMU found ("no loader for a multiboot kernel (loader: multiboot); ROM has: linux");
    a loader of the build may test for its own files in its probe with
    ``kernel_format_present`` and the generated list ``kernel_format_files_<loader>``, and
    say why it declined a kernel of its format through ``kernel_reason`` (docs/loaders.md).
    """

    #: what the message calls a kernel of this format, e.g. "a multiboot kernel"
    name: str
    #: the fw_cfg files QEMU creates for such a kernel (any one of them is enough)
    fw_cfg_files: tuple[str, ...]


@dataclass(frozen=True)
class Loader(Component):
    """A boot protocol.  ``probe`` is a ``.global`` 32-bit routine called in the ``boot``
    stage, in the order loaders were given: it returns (preserving nothing but ESP/EBP) when
    the kernel QEMU delivered is not in its format, and never returns when it boots it.  It
    must ``call handoff`` once, after its last allocation and before it copies ``e820_map``
    for the kernel."""

    #: the ``.global`` probe routine (see above)
    probe: str = ""
    #: the kernel formats it boots, for the "no loader for this kernel" message
    formats: tuple[KernelFormat, ...] = ()
    #: a ``.global`` routine called instead of the probes when QEMU got no ``-kernel``
    #: (from ``kernel_check``, through the generated ``boot_without_kernel``), in loader
    #: order; it never returns when it boots something (a disk) and returns otherwise.
    #: In a ROM with two or more such loaders every one is called twice: first with
    #: EAX = 1 (boot only what QEMU's boot order puts first), then with EAX = 0 (the last
    #: round: boot what is left, or say why not); with one loader, once with EAX = 0.
    #: ``-kernel`` always wins: with a kernel, only the probes run.
    without_kernel: str = ""
    #: a ``.global`` routine called, when QEMU got no ``-kernel``, before every loader's
    #: ``without_kernel`` routine (in loader order): what must happen before the first
    #: ``handoff`` (high-zone allocations, device set-up), so that a ``without_kernel``
    #: routine that hands over and comes back (a NIC ROM's BEV that found nothing) leaves
    #: the next one memory the e820 map already reserves.  It returns.
    prepare: str = ""


@dataclass(frozen=True)
class Feature(Component):
    """Optional hardware support or tables, selected with ``--plugin``."""


@dataclass(frozen=True)
class AssemblerBackend:
    """A named assembler; ``factory()`` returns an object with the
    :class:`qbootcore.backends.Assembler` interface."""

    #: what ``--assembler`` names
    name: str
    #: one line for ``qboot-fw list``
    description: str
    #: returns a new assembler object
    factory: Callable[[], object]


@dataclass(frozen=True)
class TraceRun:
    """What ``qboot-fw run --trace`` hands a :class:`Tracer` once QEMU has exited."""

    #: everything the guest wrote to the debug console (port 0x402)
    debugcon: str
    #: the build's qbootcore.build.Selection (the traced feature included)
    selection: object
    #: QEMU ran with -icount shift=0,sleep=off: the TSC counts instructions
    icount: bool
    #: --tsc-mhz, when given
    tsc_mhz: float | None = None


@dataclass(frozen=True)
class Tracer:
    """A way to see where a boot goes, for ``qboot-fw run --trace``: ``run`` adds
    ``feature`` to the build, logs the debug console to a file, and prints what
    ``report(TraceRun)`` returns when QEMU exits (raise QbootError to refuse)."""

    #: what ``qboot-fw run --tracer NAME`` selects
    name: str
    #: one line for ``qboot-fw list``
    description: str
    #: the feature ``run`` adds to the build (it emits the marks)
    feature: str
    #: turns what the boot wrote into the text ``run`` prints
    report: Callable[[TraceRun], str]
