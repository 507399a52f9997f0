"""Running QEMU: the one place that knows its command line, its accelerators and its traces.

Used by ``qboot-fw run`` (a kernel with the serial console on stdio), ``qboot-fw bench``
and the budget tests (the stub kernel, isa-debug-exit, ``-icount``).  What is measured and
why is in docs/performance.md; the run command in docs/run.md.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import stubkernel
from .errors import QbootError

QEMU = os.environ.get("QBOOT_FW_QEMU", "qemu-system-x86_64")
ACCELS = ("tcg", "kvm")
DEBUGCON_IOBASE = 0x402  # firmware/uart.inc DEBUGCON_PORT
#: one guest instruction per virtual nanosecond, and no skipping of idle time: the TSC then
#: counts executed instructions (a REP string instruction's iterations once each)
ICOUNT = ("-icount", "shift=0,sleep=off")
TIMEOUT = 30  # seconds for a measuring run; SeaBIOS needs ~0.3 s under TCG
NULL_EXIT = 0x4E  # 'N': the null firmware's isa-debug-exit code

# linux/kvm.h: KVMIO = 0xAE; KVM_GET_API_VERSION = _IO(KVMIO, 0x00), KVM_CREATE_VM =
# _IO(KVMIO, 0x01); the stable API reports version 12.
KVM_GET_API_VERSION = 0xAE00
KVM_CREATE_VM = 0xAE01
KVM_API_VERSION = 12


def command(*, machine: str, bios: Path, kernel: Path | None = None, accel: str = "tcg",
            memory: str = "512M", initrd: Path | None = None, append: str | None = None,
            serial: str = "stdio", smp: int | None = None, exit_device: bool = False,
            debugcon: Path | None = None, icount: bool = False, qemu: str | None = None,
            extra: tuple[str, ...] | list[str] = ()) -> list[str]:
    """A QEMU command line: QEMU's default devices for the machine (as a user who types
    ``-M q35 -kernel ...`` gets them), no display, no monitor, no reboot (the run ends when
    the guest resets or powers off).  ``exit_device`` adds isa-debug-exit at port 0xf4 (the
    stub kernel's and the null firmware's way out); ``debugcon`` logs port 0x402 to a file;
    ``icount`` makes the TSC count instructions (:data:`ICOUNT`)."""
    cmd = [qemu or QEMU, "-accel", accel, "-M", machine, "-bios", str(bios), "-m", memory]
    if smp:
        cmd += ["-smp", str(smp)]
    if kernel is not None:
        cmd += ["-kernel", str(kernel)]
    if initrd:
        cmd += ["-initrd", str(initrd)]
    if append is not None:
        cmd += ["-append", append]
    cmd += ["-display", "none", "-serial", serial, "-monitor", "none", "-no-reboot"]
    if exit_device:
        cmd += ["-device", f"isa-debug-exit,iobase={stubkernel.DEBUG_EXIT_PORT:#x},iosize=0x04"]
    if debugcon:
        cmd += ["-debugcon", f"file:{debugcon}", "-global",
                f"isa-debugcon.iobase={DEBUGCON_IOBASE:#x}"]
    if icount:
        cmd += list(ICOUNT)
    return cmd + list(extra)


def default_machine(machine: str) -> str:
    """The QEMU machine type for a board's ``machine``: boards that run on several list
    them separated by ``|`` (the auto board), and the first is the default."""
    return machine.split("|")[0].strip()


def kvm_problem(device: str = "/dev/kvm") -> str | None:
    """Why KVM cannot be used here, or None when it can (the device opens, answers the
    stable API version and creates a VM)."""
    import fcntl
    try:
        fd = os.open(device, os.O_RDWR | os.O_CLOEXEC)
    except OSError as exc:
        return f"cannot open {device}: {exc.strerror}"
    try:
        version = fcntl.ioctl(fd, KVM_GET_API_VERSION, 0)
        if version != KVM_API_VERSION:
            return f"{device} reports KVM API version {version}, not {KVM_API_VERSION}"
        os.close(fcntl.ioctl(fd, KVM_CREATE_VM, 0))
    except OSError as exc:
        return f"{device} cannot create a VM: {exc.strerror}"
    finally:
        os.close(fd)
    return None


def version(qemu: str | None = None) -> str:
    """QEMU's version line, without the "QEMU emulator version" prefix."""
    try:
        out = subprocess.run([qemu or QEMU, "--version"], capture_output=True, text=True).stdout
    except FileNotFoundError:
        raise QbootError(f"{qemu or QEMU} not found; install QEMU (Debian: qemu-system-x86)") \
            from None
    return out.splitlines()[0].replace("QEMU emulator version ", "") if out else "unknown"


# -- one measuring run ---------------------------------------------------------------------

VM_RUNNING = re.compile(r"^\d+@(\d+\.\d+):vm_state_notify running 1", re.M)


def entry_name(status: int | None) -> str | None:
    """Which entry a run ended at, from QEMU's exit status (None: not at an entry)."""
    if status == (NULL_EXIT << 1) | 1:
        return "reset vector"
    return stubkernel.entry_for_status(status)


@dataclass
class Run:
    status: int | None  # QEMU's exit status; None on timeout
    seconds: float  # wall time of the process
    stderr: str
    from_reset: float | None = None  # seconds from the CPU's start to the exit
    instructions: int | None = None  # from the stub kernel's TSC, in an -icount run

    @property
    def entry(self) -> str | None:
        return entry_name(self.status)

    def failure(self, expect: str | None = None) -> str | None:
        """Why this run did not end at a kernel entry (or at ``expect``), else None."""
        if self.status is None:
            return f"no kernel entry within {TIMEOUT} s"
        if self.entry is None:
            err = self.stderr.strip().splitlines()
            why = (f": {err[-1][:120]}" if err else
                   " (reset or shutdown) before kernel entry" if self.status == 0 else
                   " before kernel entry")
            return f"QEMU exited with status {self.status}{why}"
        if expect and self.entry != expect:
            return f"entered at {self.entry} in one run, at {expect} in another"
        return None


def run(cmd: list[str], timeout: float = TIMEOUT, clock_log: Path | None = None,
        debugcon: Path | None = None) -> Run:
    """Run QEMU to its exit.  With ``clock_log``, also time it from the reset CPU's start
    (the log's ``vm_state_notify`` timestamp and ``time.time()`` read the same clock); with
    ``debugcon`` (the file ``cmd`` logs port 0x402 to), read the stub kernel's TSC."""
    if clock_log:
        clock_log.unlink(missing_ok=True)
        cmd = cmd + ["-msg", "timestamp=on", "-trace", "vm_state_notify", "-D", str(clock_log)]
    if debugcon:
        debugcon.unlink(missing_ok=True)
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        return Run(None, time.perf_counter() - start, (exc.stderr or b"").decode(errors="replace"))
    except FileNotFoundError:
        raise QbootError(f"{cmd[0]} not found; install QEMU (Debian: qemu-system-x86)") from None
    end, seconds = time.time(), time.perf_counter() - start
    result = Run(proc.returncode, seconds, proc.stderr.decode(errors="replace"))
    if clock_log and clock_log.exists():
        if m := VM_RUNNING.search(clock_log.read_text(errors="replace")):
            result.from_reset = end - float(m[1])
    if debugcon and result.entry not in (None, "reset vector") and debugcon.exists():
        result.instructions = stubkernel.instructions(debugcon.read_bytes())
    return result


# -- device accesses from QEMU's trace -------------------------------------------------------

TRACE_LINE = re.compile(r"memory_region_ops_(read|write) cpu (-?\d+) mr \S+ addr (0x[0-9a-f]+)"
                        r" value (0x[0-9a-f]+) size (\d+) name '([^']*)'")
#: fw_cfg_select names the item a fw_cfg access selected; fw_cfg_add_file lists the files
FW_CFG_EVENT = re.compile(r"fw_cfg_select \S+ key (0x[0-9a-f]+) '([^']*)'|"
                          r"fw_cfg_add_file \S+ #\d+: (\S+) \(")
TRACE_EVENTS = ("memory_region_ops_read", "memory_region_ops_write", "fw_cfg_select",
                "fw_cfg_add_file")
FW_CFG_FILE_FIRST = 0x20  # selector of the first file (QEMU docs/specs/fw_cfg.rst)


@dataclass
class Access:
    """One traced device access."""

    op: str  # "read" or "write"
    addr: int  # port number or offset in the region
    value: int
    size: int
    region: str  # QEMU's memory region name
    item: str = ""  # the fw_cfg item this access selected, if any

    def __str__(self) -> str:
        return (f"{self.op:<5} {self.region:<16} addr {self.addr:#07x} size {self.size} "
                f"value {self.value:#x}" + (f"  fw_cfg {self.item}" if self.item else ""))


def parse_accesses(text: str) -> list[Access]:
    """Device accesses the guest CPU made before kernel entry.  Left out: events QEMU logs
    for itself (``cpu -1``: its reset write to the APIC MSI region, before any guest
    instruction) and the stub kernel's own writes (its TSC to the debug console, its final
    write to isa-debug-exit).  An access that selected a fw_cfg item (a DMA transfer or a
    selector write) is labelled with it; file selectors are named from QEMU's directory,
    which it keeps sorted by name."""
    files = sorted(m[3] for m in FW_CFG_EVENT.finditer(text) if m[3])
    out: list[Access] = []
    for line in text.splitlines():
        if m := TRACE_LINE.search(line):
            if m[2] != "-1":
                out.append(Access(m[1], int(m[3], 16), int(m[4], 16), int(m[5]), m[6]))
        elif (m := FW_CFG_EVENT.search(line)) and m[1] and out:
            key = int(m[1], 16) & 0x3FFF  # without the write and arch bits
            index = key - FW_CFG_FILE_FIRST
            out[-1].item = files[index] if m[2] == "unknown" and 0 <= index < len(files) \
                else m[2]
    if out and out[-1].op == "write" and out[-1].region == "isa-debug-exit":
        out.pop()
        tsc = out[-stubkernel.TSC_BYTES:]
        if len(tsc) == stubkernel.TSC_BYTES and all(
                a.op == "write" and a.addr == DEBUGCON_IOBASE and a.size == 1 for a in tsc):
            del out[-stubkernel.TSC_BYTES:]
    return out


def traced_run(cmd: list[str], log: Path, debugcon: Path | None = None) -> tuple[Run, list[Access] | None]:
    """A run with ``TRACE_EVENTS`` logged to ``log``; accesses None when the log has none
    (a QEMU built without the log trace backend)."""
    log.unlink(missing_ok=True)
    result = run(cmd + [a for ev in TRACE_EVENTS for a in ("-trace", ev)] + ["-D", str(log)],
                 debugcon=debugcon)
    text = log.read_text(errors="replace") if log.exists() else ""
    return result, (parse_accesses(text) if TRACE_LINE.search(text) else None)


def stub_command(machine: str, bios: Path, kernel: Path, accel: str = "tcg",
                 debugcon: Path | None = None, icount: bool = False) -> list[str]:
    """The command line every firmware is measured with: the stub kernel, one CPU, 512 MiB,
    the serial port discarded, isa-debug-exit; ``debugcon`` and ``icount`` for counting
    instructions."""
    return command(machine=machine, bios=bios, kernel=kernel, accel=accel, smp=1,
                   serial="null", exit_device=True, append=stubkernel.APPEND,
                   debugcon=debugcon, icount=icount)


def count_instructions(machine: str, bios: Path, kernel: Path, workdir: Path) -> Run:
    """One ``-icount`` run of the stub kernel: ``Run.instructions`` is the guest instructions
    from reset to kernel entry (None when the firmware did not reach it)."""
    log = workdir / "icount-debugcon.log"
    return run(stub_command(machine, bios, kernel, debugcon=log, icount=True), debugcon=log)
