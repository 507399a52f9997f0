"""The trace feature's routines in the emulator: the marks' format, the printing cost kept
out of the counts, and that untraced builds carry none of it."""

import re

import pytest

from qbootcore.build import Selection, build
from qbootcore.testing import FwCfg, Machine


@pytest.fixture(scope="module")
def traced():
    return build(Selection(plugins=["trace"]))


def marks(machine):
    return re.findall(r"^(\S+) ([0-9a-f]{16})$", machine.debugcon.decode(), re.M)


def test_every_step_and_probe_is_marked():
    from qbootcore.build import init_chain, resolve
    res = resolve(Selection(plugins=["trace"], loaders=["multiboot", "linux"]))
    lines = [l.split(";")[0].strip() for l in init_chain(res).source.splitlines()]
    names = dict(re.findall(r'^(name_\d+):\n\s*\.asciz "(\w+)"', init_chain(res).source, re.M))
    chain = lines[:lines.index("handoff:")]       # handoff's own steps are not marked
    calls = [l.split()[1] for l in chain if l.startswith("call ") and l != "call trace_mark"]
    marked = []
    for i, line in enumerate(lines):
        if line == "call trace_mark":
            marked.append(names[lines[i - 1].split(", ")[1]])
    steps = [c for c in calls if not c.endswith("_probe")]
    # after every step, with its name; before each probe, with the probe's name
    assert marked == steps + ["multiboot_probe", "linux_probe"]
    assert steps[0] == "trace_start"


def test_mark_prints_name_and_tsc_without_the_printing_cost(traced):
    m = Machine(traced.linked, FwCfg())
    m.write(0x7000, b"first_step\0")
    m.write(0x7100, b"second\0")
    m.call("trace_mark", esi=0x7000)
    m.call("trace_mark", esi=0x7100)
    got = marks(m)
    assert [n for n, _ in got] == ["first_step", "second"]
    overhead = int.from_bytes(m.read(m.sym("trace_overhead"), 8), "little")
    assert overhead > 0
    assert int(got[1][1], 16) >= int(got[0][1], 16)
    m.call("trace_handoff")
    got = marks(m)
    assert [n for n, _ in got][-2:] == ["handoff", "trace_overhead"]
    # only the debug console: no serial output, no other device
    assert not m.serial
    assert {a.address for a in m.accesses} == {0x402}


def test_untraced_builds_have_no_marks(q35_linux):
    assert "trace_mark" not in q35_linux.linked.symbols
    chain = next(p for p in q35_linux.linked.placements if p.fragment.name == "init_chain")
    assert not any("name_1" in line.text for line in chain.lines)
