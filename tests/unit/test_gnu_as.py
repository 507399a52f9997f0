"""The gnu-as backend, and the cross-check that makes it worth having: every combination the
installed plugins offer assembles to the same bytes with keystone and with GNU as.  Where
they differ, the failure names the fragment, the source line and the first differing
instruction, disassembled in the fragment's mode."""

import pytest

from qbootcore import asm, hookimpl
from qbootcore.asm import Line
from qbootcore.backends import gnu_as_backend
from qbootcore.backends.keystone_backend import KeystoneAssembler
from qbootcore.build import Selection, build
from qbootcore.errors import QbootError
from qbootcore.linker import Placement
from qbootcore.model import Feature, Fragment
from qbootcore.plugins import build_registry, make_manager, registry
from qbootcore.romtools import instruction

try:
    GAS = gnu_as_backend.GnuAsAssembler()
except QbootError as exc:  # pragma: no cover - setup.sh installs binutils
    pytest.skip(str(exc), allow_module_level=True)
KS = KeystoneAssembler()


def combinations():
    """Every board x every single loader, and every board with all loaders; always with
    every feature plugin, as ``qboot-fw list`` offers them."""
    reg = registry()
    features = list(reg.features)
    for board in reg.boards:
        loader_sets = [[name] for name in reg.loaders]
        if len(reg.loaders) > 1:
            loader_sets.append(list(reg.loaders))
        for loaders in loader_sets:
            yield pytest.param(board, loaders, features, id=f"{board}-{'+'.join(loaders)}")


def first_difference(a: list[Placement], b: list[Placement]) -> str | None:
    """Describe the first fragment whose bytes differ between two links, or None."""
    for pa, pb in zip(a, b):
        if pa.fragment.name != pb.fragment.name:
            return f"fragment order differs: {pa.fragment.name!r} vs {pb.fragment.name!r}"
        if pa.code == pb.code and pa.address == pb.address:
            continue
        f = pa.fragment
        at = next((i for i, (x, y) in enumerate(zip(pa.code, pb.code)) if x != y),
                  min(len(pa.code), len(pb.code)))
        where = f"fragment {f.name!r} of {f.owner} ({f.bits}-bit, {f.origin}"
        if pa.lines:  # start at the line holding the first differing byte
            i = max(i for i, off in enumerate(pa.line_offsets[:-1]) if off <= at)
            at = min(pa.line_offsets[i], pb.line_offsets[i])
            where += f":{pa.lines[i].number} '{pa.lines[i].text}'"
        return (f"{where}), offset {at:#x}: keystone {instruction(pa.code, at, pa.address, f.bits)}"
                f"  |  gnu-as {instruction(pb.code, at, pb.address, f.bits)}")
    if len(a) != len(b):
        return f"{len(a)} fragments vs {len(b)}"
    return None


@pytest.mark.parametrize("board,loaders,plugins", list(combinations()))
def test_keystone_and_gnu_as_build_identical_roms(board, loaders, plugins):
    roms = {name: build(Selection(board=board, loaders=loaders, plugins=plugins,
                                  assembler=name))
            for name in ("keystone", "gnu-as")}
    diff = first_difference(roms["keystone"].linked.placements,
                            roms["gnu-as"].linked.placements)
    assert diff is None, diff
    assert roms["keystone"].rom == roms["gnu-as"].rom


class Hazards:
    """A feature full of what used to assemble differently: branches to another fragment
    that is within short range, in 32- and 16-bit code, and labels used as values."""

    @hookimpl
    def qboot_features(self):
        source32 = ("    jmp hz_next\n    jne hz_next\n    call hz_next\n    push hz_msg\n"
                    "    mov esi, hz_msg\n    jmp dword ptr [hz_table]\n"
                    "hz_table: .long hz_msg, hz_next\nhz_msg: .asciz \"a\\tb\\r\\n\"\n")
        source16 = "    jmp hz_back\n    je hz_back\n    call hz_back\n    ret\n"
        return [Feature(name="hazards", description="cross-check corner cases",
                        fragments=lambda ctx: [
                            Fragment(name="hz32", region="text32", source=source32),
                            Fragment(name="hz32b", region="text32",
                                     source=".global hz_next\nhz_next: ret\n"),
                            Fragment(name="hz16a", region="fseg", bits=16,
                                     source=".global hz_back\nhz_back: ret\n"),
                            Fragment(name="hz16", region="fseg", bits=16, source=source16)])]


def test_branches_to_nearby_fragments_are_identical_and_near():
    reg = build_registry(make_manager(extra=(Hazards(),)))
    builds = [build(Selection(plugins=["hazards"], assembler=name), reg)
              for name in ("keystone", "gnu-as")]
    diff = first_difference(builds[0].linked.placements, builds[1].linked.placements)
    assert diff is None, diff
    code = {p.fragment.name: p.code for p in builds[0].linked.placements}
    assert code["hz32"][:1] == b"\xe9" and code["hz32"][5:7] == b"\x0f\x85"
    assert code["hz16"][:1] == b"\xe9" and code["hz16"][3:5] == b"\x0f\x84"


def test_a_difference_is_reported_with_fragment_line_and_instructions():
    frag = Fragment(name="demo", region="text32", source="jmp x", origin="demo.asm",
                    owner="someplugin")
    lines = [Line(3, "nop"), Line(4, "jmp 0xffff1010")]
    short = Placement(frag, 0, 0xFFFF1000, bytes.fromhex("90eb0e"), lines=lines,
                      line_offsets=[0, 1, 3])
    near = Placement(frag, 0, 0xFFFF1000, bytes.fromhex("90e90b000000"), lines=lines,
                     line_offsets=[0, 1, 6])
    report = first_difference([short], [near])
    assert "fragment 'demo' of someplugin (32-bit, demo.asm:4 'jmp 0xffff1010')" in report
    assert "eb 0e" in report and "e9 0b 00 00 00" in report and "jmp 0xffff1010" in report


def both(source: str, bits: int = 32, base: int = 0xFFFF1000, values=None) -> bytes:
    """Assemble ``source`` with both backends; they must agree."""
    lines, labels, _, _ = asm.scan(source, "t.asm")
    lines = asm.substitute(lines, labels, values or {}, "t.asm")
    k = KS.assemble(lines, bits, base, "t.asm")
    g = GAS.assemble(lines, bits, base, "t.asm")
    assert (k.code.hex(), k.line_offsets) == (g.code.hex(), g.line_offsets)
    return g.code


@pytest.mark.parametrize("source,bits,base,expected", [
    # local labels as values: R_386_32 against .text, applied for the load address
    ("mov esi, msg\nmsg: .asciz \"hi\"", 32, 0xFFFF1000, "be0510ffff686900"),
    ("push msg\nmsg: nop", 32, 0x1000, "680510000090"),
    (".long msg\nmsg: nop", 32, 0x1000, "0410000090"),
    ("msg: nop\nmov eax, [msg + ebx*4]", 32, 0x1000, "908b049d00100000"),
    # another fragment's symbol is a number: near branch (R_386_PC32 against *ABS*)
    ("jmp 0x1010", 32, 0x1000, "e90b000000"),
    ("je 0x1010", 32, 0x1000, "0f840a000000"),
    ("call 0xffff0000", 32, 0xFFFF1000, "e8fbefffff"),
    # 16-bit: near rel16, even in short range
    ("jmp 0x1010", 16, 0x1000, "e90d00"),
    ("jne 0xfe000", 16, 0xFFFF0, "0f850ce0"),
    ("call 0xf1000", 16, 0xF0000, "e8fd0f"),
    ("ret\nretf\npush 5", 16, 0xF0000, "c3cb6a05"),
    # local branches relax to the short form in both
    ("jmp done\nnop\ndone: ret", 32, 0x1000, "eb0190c3"),
    ("loop top\ntop: jecxz top", 32, 0x1000, "e200e3fe"),
    # the string escapes the dialect allows
    (r'.asciz "a\r\n\t\\\"\101\0b"', 32, 0x1000, "610d0a095c2241006200"),
    (".byte -1, 0xff\n.word -2\n.fill 2, 2, 0x1234\n.space 2, 0x41", 32, 0, "fffffeff34123412" "4141"),
    ("mov ecx, (0x100 - 0x10) / 4\nmov eax, (1 << 4) | 1", 32, 0, "b93c000000b811000000"),
])
def test_both_backends_agree(source, bits, base, expected):
    assert both(source, bits, base).hex() == expected


def test_gnu_as_errors_name_the_source_line():
    lines, labels, _, _ = asm.scan("nop\n\n  frobnicate eax\n", "t.asm")
    lines = asm.substitute(lines, labels, {}, "t.asm")
    with pytest.raises(QbootError, match=r"^w.asm \(x\):3: GNU as cannot assemble "
                                         r"'frobnicate eax': .*frobnicate"):
        GAS.assemble(lines, 32, 0, "w.asm (x)")


def test_a_value_that_does_not_fit_its_relocation_is_refused():
    lines, labels, _, _ = asm.scan("here: nop\n.word here\n", "t.asm")
    with pytest.raises(QbootError, match=r"t.asm:2: '.word here': R_386_16 value 0xfe000 "
                                         r"does not fit in 2 byte"):
        GAS.assemble(asm.substitute(lines, labels, {}, "t.asm"), 16, 0xFE000, "t.asm")


def test_missing_gnu_as_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(gnu_as_backend.shutil, "which", lambda name: None)
    with pytest.raises(QbootError, match=r"GNU as not found; install binutils "
                                         r"\(apt-get install binutils\)"):
        gnu_as_backend.GnuAsAssembler()


def test_gnu_as_is_a_registered_backend():
    assert {"keystone", "gnu-as"} <= set(registry().assemblers)


@pytest.mark.parametrize("source,message", [
    ("mov ecx, 1 + 2 << 3", r"operators \+ and << are mixed without parentheses"),
    ("mov eax, 0x10 | 0x1 + 1", r"operators \+ and \| are mixed"),
    ("mov eax, 1 | 2 & 3", r"operators & and \| are mixed"),
    ("lab: nop\nmov eax, 4 + lab", r"put the label first in '4 \+ lab'"),
    ("lab: nop\n.long 0x1010 - lab", r"put the label first"),
    ('.ascii "\\x41"', r"unsupported escape in a string"),
    ('.ascii "\\e"', r"unsupported escape in a string"),
    ("jecxz 0x1234", r"jecxz only reaches labels of its own fragment"),
    ("loop FAR", r"loop only reaches labels of its own fragment"),
    (".word 0x10000", r"0x10000 does not fit in 16 bits"),
    (".byte -129", r"-129 does not fit in 8 bits"),
    ("mov al, 0x100", r"0x100 does not fit in 8 bits"),
    ("mov byte ptr [0x100], 0x1ff", r"0x1ff does not fit in 8 bits"),
    ("mov eax, 0x100000000", r"0x100000000 does not fit in 32 bits"),
])
def test_constructs_the_backends_would_disagree_on_are_refused(source, message):
    lines, labels, _, _ = asm.scan(source, "t.asm")
    with pytest.raises(QbootError, match=r"^t.asm:\d+: '.*': " + message):
        asm.substitute(lines, labels, {"FAR": 0x1234}, "t.asm")
