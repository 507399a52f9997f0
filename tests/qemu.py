"""Run QEMU (always TCG, never KVM) with a firmware image and collect what it printed.

`boot()` starts qemu-system-x86_64 with the serial port and the debug console
(port 0x402) logged to files, waits for it to exit (or kills it at the timeout)
and parses the lines that the test guest's /init (tests/guest/init.sh) prints:

    QBOOT-REPORT cpus=1 memtotal_kb=... acpi=APIC,DSDT,... dmi_vendor=QEMU ...
    QBOOT-BIG sha256=...
    QBOOT-DMESG-ERRORS 0
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QEMU = os.environ.get('QBOOT_FW_QEMU', 'qemu-system-x86_64')
GUEST_FILES = ('vmlinuz', 'initrd.cpio.gz', 'initrd-big.cpio', 'big.sha256')


def build(out: Path, *args: str) -> Path:
    """``qboot-fw build ARGS -o OUT`` in a fresh interpreter (as a user runs it); OUT, or an
    assertion error with its stderr."""
    r = subprocess.run([sys.executable, "-m", "qbootcore.cli", "build", *args, "-o", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


def guest_dir() -> Path:
    """The test-guest cache built by tests/guest/build.sh."""
    path = Path(os.environ.get('QBOOT_FW_GUEST', REPO / 'tests' / 'guest' / 'cache'))
    missing = [f for f in GUEST_FILES if not (path / f).is_file()]
    if missing:
        raise FileNotFoundError(f'test guest not built in {path} (missing {", ".join(missing)});'
                                ' run tests/guest/build.sh')
    return path


@dataclass
class BootResult:
    serial: str = field(repr=False)
    debugcon: str = field(repr=False)
    stderr: str = field(repr=False)
    returncode: int | None          # None when QEMU was killed at the timeout
    timed_out: bool
    seconds: float                  # wall time of the QEMU run
    report: dict | None = None      # parsed QBOOT-REPORT line
    big_sha256: str | None = None   # from the QBOOT-BIG line
    dmesg_errors: int | None = None  # from the QBOOT-DMESG-ERRORS line
    cmd: list = field(default_factory=list, repr=False)

    @property
    def done(self) -> bool:
        """True when the guest's /init ran to its end."""
        return 'QBOOT-DONE' in self.serial

    def describe(self) -> str:
        """The run in a few lines, for assertion messages."""
        tail = '\n'.join(self.serial.splitlines()[-25:])
        return (f'rc={self.returncode} timed_out={self.timed_out} {self.seconds:.1f}s\n'
                f'cmd: {" ".join(self.cmd)}\nstderr: {self.stderr.strip()}\n'
                f'--- serial (tail) ---\n{tail}\n'
                f'--- debugcon (tail) ---\n{self.debugcon[-2000:]}')


def parse_report(line: str) -> dict:
    """'cpus=1 acpi=A,B ...' -> {'cpus': 1, 'acpi': ['A', 'B'], ...}."""
    report: dict = dict(re.findall(r'(\w+)=(\S*)', line))
    for key, value in report.items():
        if value.isdigit():
            report[key] = int(value)
    report['acpi'] = [] if report.get('acpi') in (None, 'none') else report['acpi'].split(',')
    return report


def _read(path: Path) -> str:
    return path.read_bytes().decode(errors='replace').replace('\r', '') if path.exists() else ''


def _wait(proc, timeout, stop_on, debugcon: Path):
    """proc's exit status; TimeoutExpired at the timeout or once the debug console has a
    whole line (ended by a newline) holding `stop_on`."""
    if stop_on is None:
        return proc.wait(timeout=timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return proc.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            text = _read(debugcon)
            at = text.find(stop_on)
            if at >= 0 and "\n" in text[at + len(stop_on) - 1:]:
                break
    raise subprocess.TimeoutExpired(proc.args, timeout)


def boot(bios, kernel=None, initrd=None, append='console=ttyS0', machine='q35', smp=1,
         memory='512M', extra=(), timeout=120, stop_on=None, serial_input=None) -> BootResult:
    """Boot QEMU under TCG with firmware `bios`; see the module docstring.  `stop_on`: a
    string whose appearance on the debug console ends the run (e.g. a panic, after which
    the firmware halts for good), once its line is complete; the result is then as for a
    timeout.  `serial_input`:
    bytes typed on COM1 (QEMU hands them over as the guest reads them)."""
    with tempfile.TemporaryDirectory(prefix='qboot-fw-qemu-') as tmp:
        tmp = Path(tmp)
        serial = ['-serial', f'file:{tmp}/serial.log'] if serial_input is None else \
            ['-chardev', 'stdio,id=serial0,signal=off', '-serial', 'chardev:serial0']
        cmd = [QEMU, '-accel', 'tcg', '-M', machine, '-bios', str(bios), '-m', str(memory),
               '-smp', str(smp), '-nographic', '-no-reboot',
               *serial, '-debugcon', f'file:{tmp}/debugcon.log',
               '-global', 'isa-debugcon.iobase=0x402',
               '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-monitor', 'none']
        if kernel:
            cmd += ['-kernel', str(kernel)]
            if append is not None:
                cmd += ['-append', append]
        if initrd:
            cmd += ['-initrd', str(initrd)]
        cmd += [str(a) for a in extra]

        start = time.monotonic()
        with open(tmp / 'stderr.log', 'wb') as err, open(tmp / 'serial.log', 'ab') as out:
            if serial_input is None:
                proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err)
            else:
                proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=out, stderr=err)
                proc.stdin.write(serial_input)
                proc.stdin.close()
            try:
                returncode, timed_out = _wait(proc, timeout, stop_on, tmp / 'debugcon.log'), False
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                returncode, timed_out = None, True
        result = BootResult(serial=_read(tmp / 'serial.log'), debugcon=_read(tmp / 'debugcon.log'),
                            stderr=_read(tmp / 'stderr.log'), returncode=returncode,
                            timed_out=timed_out, seconds=time.monotonic() - start, cmd=cmd)

    if m := re.search(r'^QBOOT-REPORT (.*)$', result.serial, re.M):
        result.report = parse_report(m.group(1))
    if m := re.search(r'^QBOOT-BIG sha256=([0-9a-f]{64})$', result.serial, re.M):
        result.big_sha256 = m.group(1)
    if m := re.search(r'^QBOOT-DMESG-ERRORS (\d+)$', result.serial, re.M):
        result.dmesg_errors = int(m.group(1))
    return result
