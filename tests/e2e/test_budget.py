"""The device-access budget (issue 6, docs/performance.md): for every board `qboot-fw list`
offers, on every machine it supports, a ROM built with the linux loader reaches the stub
kernel's 32-bit entry under TCG after at most MAX_ACCESSES device accesses.  TCG makes the
count deterministic; no timing is asserted here (`qboot-fw bench` measures time).  The
counts docs/boards.md gives per board and machine must be the ones measured here."""
import re
from pathlib import Path

import pytest

from qbootcore import bench, stubkernel
from qbootcore.build import Selection, build, write
from qbootcore.plugins import registry

MAX_ACCESSES = 40
BOARDS = registry().boards
CASES = [(name, machine) for name in sorted(BOARDS)
         for machine in bench.board_machines(BOARDS[name])]


BOARDS_MD = Path(__file__).resolve().parents[2] / "docs" / "boards.md"


def documented(board: str, machine: str) -> int | None:
    """The count docs/boards.md's board table gives: its last cell, one number or
    'machine N' pairs."""
    row = re.search(rf"^\| `{board}` \|.*\| ([^|]+) \|$", BOARDS_MD.read_text(), re.M)
    if row is None:
        return None
    cell = row.group(1).strip()
    if cell.isdigit():
        return int(cell)
    pairs = dict(re.findall(r"(\w+) (\d+)", cell))
    return int(pairs[machine]) if machine in pairs else None


@pytest.fixture(scope="module")
def stub(tmp_path_factory):
    return stubkernel.write_stub_bzimage(tmp_path_factory.mktemp("stub") / "bzImage")


@pytest.fixture(scope="module")
def rom(tmp_path_factory):
    """board name -> its ROM with the linux loader, each built once."""
    built = {}

    def get(name):
        if name not in built:
            built[name] = tmp_path_factory.mktemp(name) / "bios.bin"
            write(build(Selection(board=name, loaders=["linux"])), built[name])
        return built[name]
    return get


@pytest.mark.parametrize("board,machine", CASES)
def test_accesses_before_kernel_entry(board, machine, rom, stub, tmp_path):
    cmd = bench.qemu_command(machine, "tcg", rom(board), stub)
    run, accesses = bench.traced_run(cmd, tmp_path / "trace.log")
    assert run.entry == "32-bit", f"{run.failure()}\n{' '.join(cmd)}\n{run.stderr}"
    assert accesses is not None, "QEMU wrote no trace: it lacks the 'log' trace backend"
    listing = "\n".join(f"{i:3} {a}" for i, a in enumerate(accesses, 1))
    assert len(accesses) <= MAX_ACCESSES, f"{len(accesses)} accesses:\n{listing}"
    assert documented(board, machine) == len(accesses), \
        f"docs/boards.md gives {documented(board, machine)} for {board} on -M {machine}, " \
        f"measured {len(accesses)}:\n{listing}"
