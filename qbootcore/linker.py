"""The linker: places fragments in the ROM layout and resolves symbols between them.

Layout and assembly depend on each other (an instruction's size can depend on a symbol's
value), so the linker iterates: assemble every fragment with the current symbol values,
place the fragments region by region, recompute the symbols, and repeat until nothing moves.
Everything is ordered deterministically, so equal inputs give byte-identical ROMs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from . import asm
from .errors import QbootError
from .layout import REGIONS, ROM_SIZE, Region
from .model import Fragment

MAX_PASSES = 12
FILL = 0xFF


@dataclass
class Placement:
    fragment: Fragment
    offset: int  # ROM offset (RAM address for bss)
    address: int  # run-time linear address
    code: bytes
    labels: dict[str, int] = field(default_factory=dict)  # local + global, offsets
    lines: list = field(default_factory=list)  # asm.Line list (source fragments)
    line_offsets: list[int] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.code) if self.fragment.region != "bss" else self.fragment.size


@dataclass
class Linked:
    rom: bytes
    placements: list[Placement]
    symbols: dict[str, int]
    usage: dict[str, int]  # region -> bytes used (including alignment padding)


def _where(f: Fragment) -> str:
    return f"{f.origin} (fragment {f.name!r} of {f.owner})"


def _align(value: int, align: int) -> int:
    return (value + align - 1) // align * align


def _overflow(region: Region, sizes: list[tuple[Fragment, int]],
              used: int | None = None) -> QbootError:
    """The error for ``region`` overflowing with fragments of ``sizes``: the fragment that
    cannot fit even beside the others' bare bytes, or else the largest ones."""
    sizes = sorted(sizes, key=lambda fs: -fs[1])
    total = sum(n for _, n in sizes)
    (f, n), used = sizes[0], total if used is None else used
    free = region.size - (total - n)
    if n > free:
        return QbootError(f"fragment {f.name!r} of plugin {f.owner} needs {n} bytes, region "
                          f"{region.name} has {max(free, 0)} free; make it smaller or leave "
                          f"{f.owner} out")
    largest = ", ".join(f"{g.name} ({m} B, {g.owner})" for g, m in sizes[:3])
    return QbootError(f"region {region.name} overflows by {used - region.size} bytes ({used} "
                      f"of {region.size}); largest fragments: {largest}")


def link(fragments: Sequence[Fragment], assembler, constants: dict[str, int],
         regions: dict[str, Region] = REGIONS) -> Linked:
    frags = list(fragments)
    scanned: dict[str, tuple] = {}
    owners: dict[str, Fragment] = {}  # global symbol -> defining fragment

    def define(name: str, f: Fragment) -> None:
        if name in constants:
            raise QbootError(f"symbol {name!r} of {_where(f)} has the name of a constant")
        if name in owners:
            raise QbootError(f"duplicate symbol {name!r}: defined by {_where(owners[name])} "
                             f"and by {_where(f)}")
        owners[name] = f

    seen = set()
    generated: list[Fragment] = []
    noinit: list[Fragment] = []
    for f in list(frags):
        if f.name in seen:
            raise QbootError(f"two fragments are named {f.name!r} ({f.owner}); rename one")
        seen.add(f.name)
        if f.region not in regions:
            raise QbootError(f"{_where(f)} names unknown region {f.region!r}; use one of "
                             f"{', '.join(regions)}")
        if f.source is not None:
            lines, labels, globals_, bss = asm.scan(f.source, _where(f))
            scanned[f.name] = (lines, labels)
            for g in globals_:
                define(g, f)
            for var in bss:
                where = f"{f.origin}:{var.number}"
                g = Fragment(name=f"{f.name}.{var.name}", region="bss",
                             size=asm.evaluate(var.size, constants, where),
                             align=asm.evaluate(var.align, constants, where),
                             symbols={var.name: 0}, origin=where, owner=f.owner)
                (generated if var.zeroed else noinit).append(g)
                define(var.name, g)
        for name in f.symbols:
            define(name, f)
    for name in ("__bss_start", "__bss_end", "__fseg_end"):
        if name in owners:
            raise QbootError(f"{_where(owners[name])} defines reserved symbol {name}")

    # Deterministic order: region order, then the order fragments were given (variables
    # declared with .bss, then .noinit, come before explicit bss fragments such as the
    # stack; __bss_end marks the end of what the firmware zeroes).
    frags = generated + noinit + frags
    last_zeroed = generated[-1] if generated else None
    order = {name: i for i, name in enumerate(regions)}
    frags.sort(key=lambda f: order[f.region])

    symbols = {name: regions[f.region].address(regions[f.region].start) for name, f in owners.items()}
    symbols.update(__bss_start=regions["bss"].start, __bss_end=regions["bss"].start,
                   __fseg_end=regions["fseg"].address(regions["fseg"].start))
    previous = None
    for _ in range(MAX_PASSES):
        values = {**constants, **symbols}
        placements: list[Placement] = []
        cursor = {name: r.start for name, r in regions.items()}
        zeroed_end = regions["bss"].start
        for f in frags:
            region = regions[f.region]
            offset = _align(cursor[f.region], max(1, f.align))
            address = region.address(offset)
            p = Placement(f, offset, address, b"")
            if f.source is not None:
                lines, labels = scanned[f.name]
                local = {**values, **f.constants} if f.constants else values
                subst = asm.substitute(lines, labels, local, _where(f))
                try:
                    out = assembler.assemble(subst, f.bits, address, _where(f))
                except QbootError:
                    # past the region's end an assembler fails (addresses beyond 4 GiB):
                    # measured where it assembles, an overflow is reported as one
                    def measure(g: Fragment) -> int:
                        if g.source is None:
                            return len(g.data or b"")
                        lines = asm.substitute(*scanned[g.name], {**values, **g.constants},
                                               _where(g))
                        return len(assembler.assemble(lines, g.bits, 0, _where(g)).code)
                    try:
                        fits = offset + measure(f) <= region.end
                        sizes = [(g, measure(g)) for g in frags[len(placements):]
                                 if g.region == f.region]
                    except QbootError:
                        fits = True
                    if fits:
                        raise
                    sizes += [(q.fragment, q.size) for q in placements
                              if q.fragment.region == f.region]
                    raise _overflow(region, sizes) from None
                p.code, p.lines, p.line_offsets = out.code, subst, out.line_offsets
                p.labels = out.labels(subst)
            elif f.region == "bss":
                p.labels = dict(f.symbols)
            else:
                p.code = bytes(f.data or b"")
                p.labels = dict(f.symbols)
            placements.append(p)
            cursor[f.region] = offset + p.size
            if f is last_zeroed:
                zeroed_end = cursor["bss"]
        new = {}
        for p in placements:
            for name, off in p.labels.items():
                if owners.get(name) is p.fragment:
                    new[name] = p.address + off
        new["__bss_start"] = regions["bss"].start
        new["__bss_end"] = _align(zeroed_end, 4)
        # the end of what region fseg uses, for the boards that copy it to shadow RAM
        new["__fseg_end"] = regions["fseg"].address(_align(cursor["fseg"], 4))
        state = (new, [(p.offset, p.code) for p in placements])
        if state == previous:
            break
        previous, symbols = state, new
    else:
        raise QbootError("the layout did not settle after "
                         f"{MAX_PASSES} passes; a fragment's size keeps changing")

    usage = {name: cursor[name] - r.start for name, r in regions.items()}
    for name, r in regions.items():
        if cursor[name] > r.end:
            raise _overflow(r, [(p.fragment, p.size) for p in placements
                                if p.fragment.region == name], usage[name])

    rom = bytearray([FILL]) * ROM_SIZE
    for p in placements:
        if regions[p.fragment.region].in_rom:
            rom[p.offset:p.offset + len(p.code)] = p.code
    return Linked(bytes(rom), placements, symbols, usage)
