"""The budgets of docs/performance.md, on deterministic counts only (no timing is asserted;
`qboot-fw bench` measures time).  For every board `qboot-fw list` offers, on every machine it
supports, a ROM built with the linux loader boots the stub kernel under TCG with
`-icount shift=0,sleep=off` and QEMU's default devices, and must reach its 32-bit entry:

* after at most MAX_ACCESSES device accesses (issue 6);
* after at most MAX_INSTRUCTIONS[machine] guest instructions from reset (issue 15); when
  over, the failure shows the per-step table of a traced build (`qboot-fw run --trace
  --icount`).

The minimal ROM (recipes/q35-linux-minimal.toml) must fit in MAX_MINIMAL_ROM_BYTES.  The
counts docs/boards.md
gives per board and machine must be the ones measured here."""
import re
from pathlib import Path

import pytest

from qbootcore import bench, qemu, stubkernel
from qbootcore.build import Selection, build, read_recipe, write
from qbootcore.floor import floor_rom
from qbootcore.model import TraceRun
from qbootcore.plugins import registry
from tests.qemu import boot

REPO = Path(__file__).resolve().parents[2]
MAX_ACCESSES = 40
MAX_INSTRUCTIONS = {"q35": 20_000, "pc": 20_000, "microvm": 7_000}
MAX_MINIMAL_ROM_BYTES = 6 * 1024
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
    """(board name, extra features) -> its ROM with the linux loader, each built once."""
    built = {}

    def get(name, plugins=()):
        key = (name, tuple(plugins))
        if key not in built:
            built[key] = tmp_path_factory.mktemp(name) / "bios.bin"
            write(build(Selection(board=name, loaders=["linux"], plugins=list(plugins))),
                  built[key])
        return built[key]
    return get


@pytest.fixture(scope="module")
def measured(rom, stub, tmp_path_factory):
    """(board, machine) -> (run, accesses): one traced -icount run per case."""
    done = {}

    def get(board, machine):
        if (board, machine) not in done:
            tmp = tmp_path_factory.mktemp(f"{board}-{machine}")
            log = tmp / "debugcon.log"
            cmd = qemu.stub_command(machine, rom(board), stub, debugcon=log, icount=True)
            done[board, machine] = (*qemu.traced_run(cmd, tmp / "trace.log", debugcon=log), cmd)
        return done[board, machine]
    return get


def steps_table(board, machine, rom, stub, tmp_path) -> str:
    """The per-step instruction table of a traced build of the same ROM."""
    tracer = next(iter(registry().tracers.values()))
    log = tmp_path / "steps.log"
    qemu.run(qemu.stub_command(machine, rom(board, [tracer.feature]), stub, debugcon=log,
                               icount=True))
    sel = Selection(board=board, loaders=["linux"], plugins=[tracer.feature])
    text = log.read_bytes().decode(errors="replace") if log.exists() else ""
    return tracer.report(TraceRun(text, sel, icount=True))


@pytest.mark.parametrize("board,machine", CASES)
def test_accesses_before_kernel_entry(board, machine, measured):
    run, accesses, cmd = measured(board, machine)
    assert run.entry == "32-bit", f"{run.failure()}\n{' '.join(cmd)}\n{run.stderr}"
    assert accesses is not None, "QEMU wrote no trace: it lacks the 'log' trace backend"
    listing = "\n".join(f"{i:3} {a}" for i, a in enumerate(accesses, 1))
    assert len(accesses) <= MAX_ACCESSES, f"{len(accesses)} accesses:\n{listing}"
    assert documented(board, machine) == len(accesses), \
        f"docs/boards.md gives {documented(board, machine)} for {board} on -M {machine}, " \
        f"measured {len(accesses)}:\n{listing}"


@pytest.mark.parametrize("board,machine", CASES)
def test_instructions_before_kernel_entry(board, machine, measured, rom, stub, tmp_path):
    run, _, cmd = measured(board, machine)
    assert run.entry == "32-bit", f"{run.failure()}\n{' '.join(cmd)}\n{run.stderr}"
    assert run.instructions is not None, "the stub kernel wrote no TSC on the debug console"
    # the auto board pays for detecting the machine: a few dozen instructions more
    budget = MAX_INSTRUCTIONS[machine] + (100 if board == "auto" else 0)
    if run.instructions > budget:
        pytest.fail(f"{run.instructions:,} instructions to kernel entry on -M {machine} "
                    f"(budget {budget:,})\n{steps_table(board, machine, rom, stub, tmp_path)}")


def test_instruction_count_is_deterministic(rom, stub, tmp_path):
    counts = {qemu.count_instructions("q35", rom("q35"), stub, tmp_path).instructions
              for _ in range(2)}
    assert len(counts) == 1 and None not in counts, counts


def test_minimal_rom_fits_its_budget():
    result = build(read_recipe(REPO / "recipes" / "q35-linux-minimal.toml"))
    used = result.manifest["rom_bytes_used"]
    assert used <= MAX_MINIMAL_ROM_BYTES, (
        f"recipes/q35-linux-minimal.toml uses {used} ROM bytes (budget "
        f"{MAX_MINIMAL_ROM_BYTES}): {result.manifest['bytes_by_plugin']}")


@pytest.mark.parametrize("machine", ["q35", "pc", "microvm"])
def test_linux_verifies_the_tables_of_the_fast_path(machine, rom, guest):
    """What the budget must not cost: Linux checks every ACPI table's checksum (with
    acpi_force_table_verification; "Incorrect checksum in table [...]" when one is wrong,
    as it says for a ROM whose checksum_sum is broken), finds the SMBIOS entry point and the MP
    table's floating pointer, and boots to init."""
    # microvm: Linux under TCG needs the TSC frequency there (tests/e2e/test_boards.py)
    append = "console=ttyS0 acpi_force_table_verification" + (
        " tsc_early_khz=2000000" if machine == "microvm" else "")
    r = boot(rom(machine), kernel=guest / "vmlinuz", initrd=guest / "initrd.cpio.gz",
             machine=machine, append=append, timeout=90)
    assert r.report is not None and r.done, r.describe()
    assert "table checksum verification enabled" in r.serial.lower(), r.describe()
    assert "incorrect checksum" not in r.serial.lower(), r.describe()
    assert r.report["acpi"] and "DSDT" in r.report["acpi"], r.report
    if machine != "microvm":   # QEMU gives microvm no SMBIOS
        assert r.report["dmi_vendor"] == "QEMU", r.report
    assert r.dmesg_errors == 0, r.describe()


def test_the_floor_rom_boots_the_stub_with_the_least_work(rom, stub, tmp_path):
    """The bench's floor ROM (qbootcore/floor.py: only what QEMU forces on any firmware)
    reaches the stub kernel's 32-bit entry, in fewer instructions than any real ROM."""
    floor = tmp_path / "floor.bin"
    floor.write_bytes(floor_rom())
    run = qemu.count_instructions("q35", floor, stub, tmp_path)
    assert run.entry == "32-bit", run.failure()
    assert run.instructions is not None and run.instructions < MAX_INSTRUCTIONS["microvm"], \
        run.instructions
