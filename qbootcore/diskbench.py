"""``qboot-fw bench --disk IMAGE``: what a disk boot costs, for qboot-fw (the disk loader)
and SeaBIOS with the same disk on the same QEMU command line (docs/performance.md, "Disk
boot").  Built on :mod:`qbootcore.bench` (its trace parsing and timed runs).

Two stages per firmware, each one traced run (device accesses) and ``runs`` timed runs
(median time from the reset CPU's start to QEMU's exit):

* **boot sector**: a sparse copy of IMAGE whose boot sector starts with an isa-debug-exit
  stub (``BOOT_SECTOR_EXIT``; partition table and signature kept), so the run ends at the
  boot sector's first instruction;
* **kernel**: IMAGE as it is (read-only: ``snapshot=on``), until the kernel it boots exits
  through isa-debug-exit -- e.g. a GRUB disk holding the stub kernel
  (:mod:`qbootcore.stubkernel`; ``tests/grubdisk.py`` makes one).  A disk whose kernel does
  not exit that way shows no kernel figures.

The kernel stage's accesses to the disk controller and its port 92h reads (one per
qboot-fw INT 13h call, through bios16_call32) show what the boot loader's reads cost.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import bench, stubkernel
from .errors import QbootError

try:  # the QEMU runners live in qbootcore.qemu once the perf work splits bench.py
    from .qemu import run as run_qemu, traced_run
except ImportError:
    from .bench import run_qemu, traced_run

BOOT_SECTOR_EXIT = 0x42  # 'B': the stub boot sector's isa-debug-exit code
INTERFACES = ("virtio", "ide")   # -drive if=...: virtio-blk, or the machine's IDE/AHCI
TIMEOUT = 120                     # a GRUB boot under TCG: a few seconds


def boot_sector_copy(image: Path, out: Path) -> Path:
    """A sparse copy of ``image`` whose first instruction exits QEMU."""
    shutil.copyfile(image, out)
    with open(out, "r+b") as f:
        f.write(stubkernel.exit_stub(BOOT_SECTOR_EXIT))
    return out


def disk_command(machine: str, accel: str, bios: Path, image: Path, interface: str) -> list[str]:
    """QEMU's default devices for the machine, no display, no -kernel, the disk."""
    return ["qemu-system-x86_64", "-accel", accel, "-M", machine, "-m", "512M", "-smp", "1",
            "-display", "none", "-serial", "null", "-monitor", "none", "-no-reboot",
            "-device", f"isa-debug-exit,iobase={stubkernel.DEBUG_EXIT_PORT:#x},iosize=0x04",
            "-bios", str(bios),
            "-drive", f"if={interface},format=raw,snapshot=on,file={image}"]


@dataclass
class Stage:
    status: int | None = None
    accesses: list | None = None          # traced accesses (op, region, ...)
    resets: list[float] = field(default_factory=list)
    failure: str | None = None

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.resets) * 1000 if self.resets and not self.failure else None

    def calls32(self) -> int:
        """Port 92h reads: bios16_call32 makes one per INT 13h call (SeaBIOS's call32 one or
        more), so they count the boot loader's BIOS calls into 32-bit code."""
        return sum(1 for a in self.accesses or () if a.region == "port92" and a.op == "read")

    def disk_accesses(self) -> int:
        """Accesses to the disk controller (virtio notifies are not among them: QEMU
        serves them through an ioeventfd, which it does not trace)."""
        return sum(1 for a in self.accesses or ()
                   if a.region.startswith(("virtio-pci", "ahci", "ide", "bmdma")))


def measure(cmd: list[str], expect: int, runs: int, workdir: Path) -> Stage:
    run, accesses = traced_run(cmd, workdir / "trace.log")
    stage = Stage(run.status, accesses)
    if run.status != (expect << 1) | 1:
        stage.failure = (f"no exit at the expected point (QEMU status {run.status}): "
                         f"{run.stderr.strip()[-160:]}")
        return stage
    for _ in range(runs):
        timed = run_qemu(cmd, TIMEOUT, workdir / "clock.log")
        if timed.from_reset is not None and timed.status == run.status:
            stage.resets.append(timed.from_reset)
    return stage


def build_disk_rom(machine: str, workdir: Path) -> Path:
    from .build import Selection, build, write
    from .plugins import registry
    board = bench.board_for(machine, registry().boards)
    if board is None:
        raise QbootError(f"no qboot-fw board for -M {machine}")
    out = workdir / f"qboot-fw-{board}-disk.bin"
    write(build(Selection(board=board, loaders=["linux", "disk"])), out)
    return out


def bench_disk(image: Path, machine: str = "q35", accel: str = "tcg", runs: int = 5,
               interface: str = "virtio", progress=lambda msg: None) -> dict:
    """{firmware name: {"boot sector": Stage, "kernel": Stage}}."""
    image = Path(image)
    if not image.is_file():
        raise QbootError(f"disk image {image} not found")
    if interface not in INTERFACES:
        raise QbootError(f"interface must be one of {', '.join(INTERFACES)}, not {interface!r}")
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="qboot-fw-diskbench-") as tmp:
        tmp = Path(tmp)
        stub = boot_sector_copy(image, tmp / "bootsector.img")
        roms = {"SeaBIOS": bench.SEABIOS_ROM, "qboot-fw": build_disk_rom(machine, tmp)}
        for name, rom in roms.items():
            if not rom.is_file():
                continue
            progress(f"{name}: reset -> boot sector")
            first = measure(disk_command(machine, accel, rom, stub, interface),
                            BOOT_SECTOR_EXIT, runs, tmp)
            progress(f"{name}: reset -> kernel entry")
            kernel = measure(disk_command(machine, accel, rom, image, interface),
                             stubkernel.PROTECTED_MODE_EXIT, runs, tmp)
            out[name] = {"boot sector": first, "kernel": kernel}
    return out


def table(results: dict, machine: str, interface: str) -> str:
    def n(stage):
        return "—" if stage.accesses is None or stage.failure else f"{len(stage.accesses):,}"

    def ms(stage):
        return "—" if stage.median_ms is None else f"{stage.median_ms:.1f}"

    lines = [f"disk boot, -M {machine}, -drive if={interface} (TCG; medians from reset)", "",
             "| firmware | to boot sector: ms | accesses | to kernel entry: ms | accesses "
             "| disk controller accesses | port 92h reads |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, st in results.items():
        first, kernel = st["boot sector"], st["kernel"]
        ctl = "—" if kernel.failure else f"{kernel.disk_accesses():,}"
        p92 = "—" if kernel.failure else f"{kernel.calls32():,}"
        lines.append(f"| {name} | {ms(first)} | {n(first)} | {ms(kernel)} | {n(kernel)} "
                     f"| {ctl} | {p92} |")
    return "\n".join(lines)
