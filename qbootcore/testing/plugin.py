"""The testing API for plugin authors: build a ROM with your plugin, call its routines in
the emulator, boot it in QEMU.  Stable: qboot-fw keeps these names and parameters.

Unit test (the emulator needs the ``test`` extra: ``pip install qboot-fw[test]``)::

    import qboot_fw_mything
    from qbootcore.testing import FwCfg, machine

    def test_init_reads_the_file():
        fw = FwCfg()
        fw.add_file("opt/qboot-fw/mything", b"hello")
        m = machine(plugins=["mything"], extra=[qboot_fw_mything], fw_cfg=fw)
        m.call("fw_cfg_init")
        m.call("mything_init")
        assert m.read(m.sym("mything_config"), 5) == b"hello"

End-to-end test (QEMU under TCG, a stub Linux bzImage that exits QEMU at its entry)::

    from qbootcore.testing import boot_stub, rom

    def test_boots(tmp_path):
        run = boot_stub(rom(plugins=["mything"], extra=[qboot_fw_mything]), tmp_path)
        assert run.entry == "32-bit", run.describe()

The builds use qboot-fw's own plugins and the ``extra`` ones you pass (the plugin under
test: its module, or any object with hook implementations), never whatever else is
installed, so that another package cannot change what your tests build.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ..build import Result, Selection, build, read_recipe, write
from ..plugins import build_registry, make_manager
from .. import stubkernel

QEMU = os.environ.get("QBOOT_FW_QEMU", "qemu-system-x86_64")


def rom(*, board: str = "q35", loaders: Iterable[str] = ("linux",), plugins: Iterable[str] = (),
        options: dict | None = None, recipe: str | Path | None = None,
        extra: Iterable[object] = ()) -> Result:
    """Build a ROM: from ``recipe`` (a path) or from the arguments, with qboot-fw's own
    plugins and ``extra``.  Returns the build result: ``.rom`` (bytes), ``.manifest``,
    ``.linked`` (what :class:`Machine` runs)."""
    sel = read_recipe(Path(recipe)) if recipe else Selection(
        board=board, loaders=list(loaders), plugins=list(plugins), options=dict(options or {}))
    reg = build_registry(make_manager(extra=tuple(extra), builtin_only=True))
    return build(sel, reg)


def machine(*, fw_cfg=None, devices: tuple = (), ram_size: int | None = None, **build_args):
    """A :class:`Machine` (the emulator) running a ROM built by :func:`rom` with
    ``build_args``, against ``fw_cfg`` (a :class:`FwCfg`) and simulated ``devices``."""
    from .emulator import RAM_SIZE, Machine
    return Machine(rom(**build_args).linked, fw_cfg, ram_size or RAM_SIZE, devices)


@dataclass
class Boot:
    """What a QEMU run did."""

    returncode: int | None          #: None when it was killed at the timeout
    debugcon: str                   #: what the firmware printed on port 0x402
    stderr: str
    cmd: list = field(default_factory=list)

    @property
    def entry(self) -> str | None:
        """The stub kernel's entry point QEMU exited from: "32-bit", "64-bit", "real-mode";
        None when the stub was not entered."""
        return stubkernel.entry_for_status(self.returncode)

    def describe(self) -> str:
        return (f"rc={self.returncode}\ncmd: {' '.join(self.cmd)}\nstderr: {self.stderr}\n"
                f"debug console: {self.debugcon[-2000:]}")


def boot(result: Result | Path, kernel: Path, *, machine: str | None = None,
         extra_args: Iterable[str] = (), timeout: float = 60) -> Boot:
    """Boot QEMU (TCG, never KVM) with the ROM (a build result or a file) and ``kernel``;
    ``machine`` defaults to the board's first machine type.  QEMU has the
    ``isa-debug-exit`` device at 0xf4 (the stub kernel exits through it) and the debug
    console at 0x402."""
    with tempfile.TemporaryDirectory(prefix="qboot-fw-test-") as tmp:
        if isinstance(result, Result):
            path = Path(tmp) / "bios.bin"
            write(result, path)
            machine = machine or result.manifest["machine"].split("|")[0]
        else:
            path = Path(result)
        log = Path(tmp) / "debugcon.log"
        cmd = [QEMU, "-accel", "tcg", "-M", machine or "q35", "-m", "256M", "-display", "none",
               "-serial", "null", "-monitor", "none", "-no-reboot", "-bios", str(path),
               "-debugcon", f"file:{log}", "-global", "isa-debugcon.iobase=0x402",
               "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
               "-kernel", str(kernel), *map(str, extra_args)]
        try:
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=timeout)
            rc, err = proc.returncode, proc.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired:
            rc, err = None, "timed out"
        text = log.read_text(errors="replace") if log.exists() else ""
        return Boot(rc, text, err, cmd)


def boot_stub(result: Result | Path, workdir: Path, **kw) -> Boot:
    """:func:`boot` with qboot-fw's stub Linux bzImage (written to ``workdir``): QEMU exits
    at the kernel's entry, so ``.entry`` tells whether and how the ROM booted it."""
    kernel = stubkernel.write_stub_bzimage(Path(workdir) / "stub-bzImage", size=1 << 20)
    return boot(result, kernel, **kw)
