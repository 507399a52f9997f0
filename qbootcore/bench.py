"""``qboot-fw bench``: what each firmware costs between QEMU's reset and the kernel's first
instruction (docs/performance.md).

Every firmware boots the same stub kernel (:mod:`qbootcore.stubkernel`) with the same QEMU
command line.  The stub's entry points exit QEMU through isa-debug-exit, so a run ends at
kernel entry and its exit status says which entry the firmware used.  Per firmware:

* one traced run (``-trace memory_region_ops_read/write -D LOG``, QEMU's ``log`` trace
  backend) counts the device accesses (port I/O and MMIO dispatched to a device model)
  before kernel entry; it also checks that the firmware reaches the kernel at all;
* one ``-icount shift=0,sleep=off`` run counts the guest instructions from reset to kernel
  entry (the stub kernel writes its TSC to the debug console first thing);
* then ``runs`` timed runs, interleaved with the other firmwares, give two medians, each
  compared with a null firmware whose reset vector exits at once and with the floor ROM
  (:mod:`qbootcore.floor`: only what QEMU makes every firmware do):

  - wall: the whole QEMU process, start-up and exit included;
  - from reset: from the moment QEMU lets the reset CPU run (its ``vm_state_notify``
    trace event, the only one enabled, timestamped with ``-msg timestamp=on``) to the
    process's exit.  It leaves out QEMU's start-up (loading the kernel file, building the
    machine), which is the same for every firmware but most of the wall time's spread.

The table and the chart are in :mod:`qbootcore.benchreport`.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import platform
import statistics
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import floor, qemu, stubkernel
from .errors import QbootError
from .benchreport import svg, table  # noqa: F401  (the command's output)
from .qemu import NULL_EXIT, Access, stub_command

MACHINES = ("q35", "pc", "microvm")

QBOOT_ROM = Path("/usr/share/qemu/qboot.rom")
SEABIOS_ROM = Path("/usr/share/seabios/bios-256k.bin")
#: the two reference firmwares every ratio is against, and the two baselines
NULL, FLOOR = "null", "floor"


def null_firmware() -> bytes:
    """A 64 KiB ROM whose reset vector (0xFFFFFFF0) writes ``NULL_EXIT`` to isa-debug-exit:
    the cost of QEMU itself, the floor every firmware is measured against."""
    rom = bytearray(b"\xff" * 0x10000)
    rom[0xFFF0:0xFFF8] = stubkernel.exit_stub(NULL_EXIT)
    return bytes(rom)


@dataclass
class Firmware:
    """One contestant and what is known about it before it runs."""

    name: str
    path: Path | None
    rom_size: int = 0
    rom_bytes: int = 0
    rom_bytes_method: str = ""  # "manifest" or "non-0x00/0xFF bytes"
    unavailable: str | None = None  # why it cannot run here at all
    built: bool = False  # built by the benchmark into a temporary directory

    @property
    def sha256(self) -> str | None:
        return hashlib.sha256(self.path.read_bytes()).hexdigest() if self.path else None


def rom_usage(path: Path) -> tuple[int, int, str]:
    """(file size, bytes in use, how counted): a qboot-fw manifest beside the ROM
    (``ROM.toml``) when there is one, else the bytes that are neither 0x00 nor 0xFF."""
    data = path.read_bytes()
    man = path.with_name(path.name + ".toml")
    if man.is_file():
        try:
            meta = tomllib.loads(man.read_text())
            if meta.get("sha256") == hashlib.sha256(data).hexdigest():
                return len(data), int(meta["rom_bytes_used"]), "manifest"
        except (tomllib.TOMLDecodeError, KeyError, ValueError):
            pass
    return len(data), len(data) - data.count(0) - data.count(0xFF), "non-0x00/0xFF bytes"


def firmware_file(name: str, path: Path) -> Firmware:
    if not path.is_file():
        return Firmware(name, path, unavailable=f"{path} not found")
    return Firmware(name, path, *rom_usage(path))


def board_machines(board) -> list[str]:
    """The ``-M`` values a board supports (its ``machine``, e.g. ``"q35"`` or, for a board
    that detects the machine at run time, ``"pc|q35|microvm"``)."""
    return [m for m in board.machine.split("|") if m]


def board_for(machine: str, boards: dict) -> str | None:
    """The board to build for ``-M machine``: the one made for it alone, else one that
    lists it among several."""
    fits = [n for n, b in boards.items()
            if machine in (m.split(",")[0] for m in board_machines(b))]
    return min(fits, key=lambda n: len(board_machines(boards[n])), default=None)


def build_ours(machine: str, workdir: Path) -> Firmware:
    """Build qboot-fw for ``-M machine`` with the linux loader."""
    from .build import Selection, build, write
    from .plugins import registry

    boards = registry().boards
    name = board_for(machine, boards)
    if name is None:
        return Firmware("qboot-fw", None, unavailable=f"no qboot-fw board for -M {machine} "
                        f"yet (boards: {', '.join(boards) or 'none'})")
    label, out = f"qboot-fw ({name})", workdir / f"qboot-fw-{name}.bin"
    try:
        result = build(Selection(board=name, loaders=["linux"]))
        write(result, out)
    except QbootError as exc:
        return Firmware(label, None, unavailable=f"build failed: {exc}")
    return Firmware(label, out, len(result.rom), result.manifest["rom_bytes_used"], "manifest",
                    built=True)


@dataclass
class Result:
    firmware: Firmware
    entry: str | None = None
    accesses: list[Access] | None = None  # None: tracing unavailable or run failed
    instructions: int | None = None  # reset to kernel entry, from an -icount run
    times: list[float] = field(default_factory=list)  # wall, seconds
    resets: list[float] = field(default_factory=list)  # from reset, seconds
    failure: str | None = None
    sha256: str | None = None  # of the ROM measured

    @property
    def ok(self) -> bool:
        return self.failure is None

    def median(self, metric: str = "wall") -> float | None:
        """Median of ``metric`` ("wall" or "reset") in seconds; None when unknown."""
        values = self.times if metric == "wall" else self.resets
        if not self.ok or not values or len(values) < len(self.times):
            return None
        return statistics.median(values)


@dataclass
class Report:
    machine: str
    accel: str
    runs: int
    qemu_version: str
    command: list[str]
    kernel_size: int
    date: str
    host: str
    load: float  # the 1-minute load average when the benchmark started
    results: list[Result]

    def result(self, role: str) -> Result | None:
        return next((r for r in self.results if r.firmware.name == role), None)

    def over(self, r: Result, base: str = NULL, metric: str = "wall") -> float | None:
        """``r``'s median minus the ``base`` firmware's (null or floor)."""
        other = self.result(base)
        mine, floor = r.median(metric), other and other.median(metric)
        return None if mine is None or floor is None else mine - floor

    def over_null(self, r: Result, metric: str = "wall") -> float | None:
        return self.over(r, NULL, metric)

    def ratio(self, r: Result, role: str, metric: str = "reset") -> float | None:
        """``r``'s time over the floor ROM divided by ``role``'s (over the null firmware
        when the floor did not run)."""
        other = self.result(role)
        if r.firmware.name in (NULL, FLOOR) or other is None:
            return None
        base = FLOOR if self.result(FLOOR) and self.result(FLOOR).median(metric) else NULL
        mine, theirs = self.over(r, base, metric), self.over(other, base, metric)
        if mine is None or not theirs or theirs <= 0:
            return None
        return mine / theirs

    def as_dict(self) -> dict:
        rows = []
        for r in self.results:
            fw = r.firmware
            rows.append({
                "name": fw.name, "path": None if fw.built or not fw.path else str(fw.path),
                "sha256": r.sha256,
                "ok": r.ok, "reason": r.failure, "entry": r.entry,
                "median_s": r.median(), "over_null_s": self.over_null(r),
                "from_reset_median_s": r.median("reset"),
                "from_reset_over_null_s": self.over_null(r, "reset"),
                "from_reset_over_floor_s": self.over(r, FLOOR, "reset"),
                "instructions": r.instructions,
                "vs_qboot": self.ratio(r, "qboot"), "vs_seabios": self.ratio(r, "SeaBIOS"),
                "wall_vs_qboot": self.ratio(r, "qboot", "wall"),
                "wall_vs_seabios": self.ratio(r, "SeaBIOS", "wall"),
                "accesses": None if r.accesses is None else len(r.accesses),
                "rom_size": fw.rom_size or None, "rom_bytes": fw.rom_bytes or None,
                "rom_bytes_method": fw.rom_bytes_method or None, "times_s": r.times,
                "from_reset_s": r.resets,
            })
        return {"date": self.date, "host": self.host, "load_average": self.load,
                "qemu": self.qemu_version,
                "machine": self.machine, "accel": self.accel, "runs": self.runs,
                "kernel_size": self.kernel_size, "command": self.command,
                "accesses_counted": "memory_region_ops_read/write trace events of the guest "
                                    "CPU before kernel entry, excluding the stub kernel's "
                                    "TSC and isa-debug-exit writes",
                "instructions_counted": "guest instructions from reset to kernel entry: the "
                                        "stub kernel's TSC under -icount shift=0,sleep=off",
                "ratios": "time from reset over the floor ROM, divided by the other's",
                "results": rows}


def bench(machine: str = "q35", accel: str = "tcg", runs: int = 10, roms=(),
          progress=lambda msg: None) -> Report:
    """Run the benchmark; ``roms`` replaces the freshly built qboot-fw ROM."""
    if machine not in MACHINES:
        raise QbootError(f"unknown machine {machine!r}; valid machines: {', '.join(MACHINES)}")
    if accel not in qemu.ACCELS:
        raise QbootError(f"unknown accelerator {accel!r}; valid: {', '.join(qemu.ACCELS)}")
    if runs < 1:
        raise QbootError("-n must be at least 1")
    version, load = qemu.version(), os.getloadavg()[0]
    date = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory(prefix="qboot-fw-bench-") as tmp:
        tmp = Path(tmp)
        if accel == "kvm" and (problem := qemu.kvm_problem()):
            raise QbootError(f"--accel kvm: {problem}; use --accel tcg")
        kernel = stubkernel.write_stub_bzimage(tmp / "stub-bzImage")
        (tmp / "null.bin").write_bytes(null_firmware())
        (tmp / "floor.bin").write_bytes(floor.floor_rom())
        firmwares = [Firmware(NULL, tmp / "null.bin", *rom_usage(tmp / "null.bin"), built=True),
                     Firmware(FLOOR, tmp / "floor.bin", *rom_usage(tmp / "floor.bin"),
                              built=True),
                     firmware_file("qboot", QBOOT_ROM), firmware_file("SeaBIOS", SEABIOS_ROM)]
        if roms:
            firmwares += [firmware_file(Path(p).name, Path(p)) for p in roms]
        else:
            firmwares.append(build_ours(machine, tmp))
        results = [Result(fw, failure=fw.unavailable, sha256=None if fw.unavailable else fw.sha256)
                   for fw in firmwares]

        for r in results:
            if not r.ok:
                continue
            progress(f"tracing {r.firmware.name}")
            run, r.accesses = qemu.traced_run(stub_command(machine, r.firmware.path, kernel,
                                                           accel), tmp / "trace.log")
            r.failure, r.entry = run.failure(), run.entry
            if r.ok and r.firmware.name != NULL:
                progress(f"counting the instructions of {r.firmware.name}")
                r.instructions = qemu.count_instructions(machine, r.firmware.path, kernel,
                                                         tmp).instructions
        null = results[0]
        if not null.ok:
            raise QbootError(f"the null firmware does not run on -M {machine}: {null.failure}")

        for i in range(runs):  # interleaved, each round in a rotated order
            progress(f"round {i + 1} of {runs}")
            live = [r for r in results if r.ok]
            for r in live[i % len(live):] + live[:i % len(live)]:
                run = qemu.run(stub_command(machine, r.firmware.path, kernel, accel),
                               clock_log=tmp / "clock.log")
                r.failure = run.failure(expect=r.entry)
                r.times.append(run.seconds)
                if run.from_reset is not None:
                    r.resets.append(run.from_reset)
        command = stub_command(machine, Path("FIRMWARE"), Path("STUB-KERNEL"), accel)
        return Report(machine, accel, runs, version, command, kernel.stat().st_size, date,
                      f"{platform.node()} ({platform.machine()}, {os.cpu_count()} x "
                      f"{_cpu_model()})", load, results)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


