"""Layout and symbol resolution across fragments; errors name what is wrong."""

import hashlib

from dataclasses import replace

import pytest

from qbootcore.backends.keystone_backend import KeystoneAssembler
from qbootcore.build import Selection, build
from qbootcore.errors import QbootError
from qbootcore.layout import REGIONS
from qbootcore.linker import link
from qbootcore.model import Fragment

KS = KeystoneAssembler()


def frag(name, source, region="text32", **kw):
    return Fragment(name=name, region=region, source=source, origin=f"{name}.asm", owner="t", **kw)


def test_symbols_resolve_across_fragments_and_regions():
    linked = link([frag("a", ".global f\nf: call g\nret"), frag("b", ".global g\ng: ret"),
                   frag("v", "mov [counter], eax\nret\n.bss counter, 4")], KS, {})
    a, b = (p for p in linked.placements if p.fragment.name in "ab")
    assert linked.symbols["f"] == REGIONS["text32"].address(0)
    assert linked.symbols["g"] == b.address
    assert linked.symbols["counter"] == REGIONS["bss"].start
    rel = int.from_bytes(a.code[1:5], "little", signed=True)
    assert a.address + 5 + rel == b.address


def test_duplicate_symbols_name_both_fragments():
    with pytest.raises(QbootError, match=r"duplicate symbol 'f': defined by a.asm .* and by b.asm"):
        link([frag("a", ".global f\nf: ret"), frag("b", ".global f\nf: ret")], KS, {})


def test_missing_symbol_names_fragment_and_line():
    with pytest.raises(QbootError, match=r"a.asm \(fragment 'a' of t\):2: undefined symbol 'g'"):
        link([frag("a", "nop\ncall g")], KS, {})


def test_overflow_names_the_region_and_largest_fragments():
    """Each fits beside the other's bytes, but not with the alignment padding."""
    big = frag("big", ".fill 0xF00, 1, 0")
    bigger = frag("bigger", ".fill 0x1000, 1, 0", align=0x1000)
    with pytest.raises(QbootError, match=r"region fseg overflows by 16 bytes .* largest "
                                         r"fragments: bigger \(4096 B, t\), big \(3840 B"):
        link([replace(big, region="fseg"), replace(bigger, region="fseg")], KS, {})


@pytest.mark.parametrize("region,size", [("fseg", 0x3000), ("text32", 70_000),
                                         ("text32", 60_000), ("rodata", 70_000)])
def test_a_fragment_too_large_for_its_region_is_named(region, size):
    """Issue 16 item 5: not an assembler error (keystone fails on code past 4 GiB), the
    fragment that cannot fit beside the others, with its size and the room left."""
    small = frag("small", ".global small\nsmall: nop\nret", region=region)
    big = frag("big", f"call small\n.fill {size}, 1, 0x90\nret", region=region)
    after = frag("after", "jmp small", region=region)
    free = REGIONS[region].size - (2 + 5)
    with pytest.raises(QbootError) as exc:
        link([small, big, after], KS, {})
    assert str(exc.value) == (f"fragment 'big' of plugin t needs {size + 6} bytes, region "
                              f"{region} has {free} free; make it smaller or leave t out")


def test_alignment_is_honoured():
    linked = link([frag("a", "nop"), frag("b", "nop", align=64)], KS, {})
    assert linked.symbols == {"__bss_start": 0x30000, "__bss_end": 0x30000,
                              "__fseg_end": 0xFE000}
    b = [p for p in linked.placements if p.fragment.name == "b"][0]
    assert b.address % 64 == 0


def test_rom_is_64k_with_the_reset_vector_jumping_to_entry16(q35_linux):
    rom = q35_linux.rom
    assert len(rom) == 0x10000
    entry16 = q35_linux.linked.symbols["entry16"]
    # cli; cld; jmp rel16 -- relative to the F-segment alias and to the high alias alike
    assert rom[0xFFF0:0xFFF3] == b"\xfa\xfc\xe9"
    assert (0xFFF5 + int.from_bytes(rom[0xFFF3:0xFFF5], "little")) & 0xFFFF == entry16 & 0xFFFF


def test_builds_are_reproducible():
    one, two = build(Selection()), build(Selection())
    assert one.rom == two.rom
    assert one.manifest["sha256"] == hashlib.sha256(one.rom).hexdigest()
