"""`qboot-fw run` without QEMU: the command line, the build cache, the KVM check and the
boot timeline (the QEMU boot itself is in tests/e2e/test_examples.py)."""

import shlex
import subprocess
import sys
from pathlib import Path

from qbootcore.build import Selection
from qbootcore import cache, qemu
from qbootcore.commands import run
from qboot_plugins.trace import timeline
from qbootcore.model import Feature, Fragment, Step
from qbootcore.plugins import build_registry, make_manager
from qbootcore import hookimpl


def qboot(*args, env=None):
    import os
    return subprocess.run([sys.executable, "-m", "qbootcore.cli", *map(str, args)],
                          capture_output=True, text=True, env={**os.environ, **(env or {})})


def test_qemu_command_line():
    cmd = qemu.command(qemu="qemu", machine="q35", bios=Path("/c/r.bin"), kernel=Path("k"),
                       initrd=Path("i"), append="console=ttyS0 quiet",
                       debugcon=Path("/t/d.log"), extra=["-smp", "2"])
    assert cmd[:5] == ["qemu", "-accel", "tcg", "-M", "q35"]
    text = shlex.join(cmd)
    for part in ("-bios /c/r.bin", "-kernel k", "-initrd i", "-append 'console=ttyS0 quiet'",
                 "-serial stdio", "-display none", "-debugcon file:/t/d.log",
                 "-global isa-debugcon.iobase=0x402"):
        assert part in text
    assert cmd[-2:] == ["-smp", "2"]
    bare = qemu.command(qemu="qemu", machine="pc", bios=Path("r"), kernel=Path("k"))
    assert "-initrd" not in bare and "-append" not in bare and "-debugcon" not in bare
    assert "-icount" not in bare
    counted = qemu.command(machine="pc", bios=Path("r"), icount=True)
    assert counted[counted.index("-icount") + 1] == "shift=0,sleep=off"


def test_default_machine():
    assert qemu.default_machine("q35") == "q35"
    assert qemu.default_machine("pc|q35|microvm") == "pc"
    assert qemu.default_machine("") == ""


class Variant:
    def __init__(self, text):
        self.text = text

    @hookimpl
    def qboot_features(self):
        return [Feature(name="variant", description="x", steps=(Step("late", "variant"),),
                        fragments=lambda ctx: [Fragment(
                            name="variant", region="text32", origin="variant.asm",
                            source=f".global variant\nvariant:\n{self.text}    ret\n")])]


def test_build_key_follows_the_selection_and_the_sources():
    a = build_registry(make_manager(extra=(Variant(""),)))
    b = build_registry(make_manager(extra=(Variant("    nop\n"),)))
    sel = Selection(plugins=["variant"])
    assert cache.build_key(sel, a) == cache.build_key(Selection(plugins=["variant"]), a)
    assert cache.build_key(sel, a) != cache.build_key(sel, b)                  # source changed
    assert cache.build_key(sel, a) != cache.build_key(
        Selection(plugins=["variant"], options={"linux": {"entry": "64"}}), a)  # recipe changed


def test_cached_build_is_reused(tmp_path):
    sel = Selection()
    rom, manifest, cached = cache.cached_build(sel, cache=tmp_path)
    assert not cached and rom.parent == tmp_path and rom.stat().st_size == 65536
    rom2, manifest2, cached2 = cache.cached_build(Selection(), cache=tmp_path)
    assert cached2 and rom2 == rom and manifest2["sha256"] == manifest["sha256"]
    _, _, cached3 = cache.cached_build(Selection(), cache=tmp_path, refresh=True)
    assert not cached3


def test_dry_run_prints_the_command_first_and_caches(tmp_path):
    kernel = tmp_path / "vmlinuz"
    kernel.write_bytes(b"k")
    env = {"QBOOT_FW_CACHE": str(tmp_path / "cache")}
    args = ["run", "--kernel", kernel, "--append", "console=ttyS0", "--dry-run",
            "--", "-smp", "2", "-cpu", "max"]
    first = qboot(*args, env=env)
    assert first.returncode == 0, first.stderr
    cmd = shlex.split(first.stdout.splitlines()[0])
    assert cmd[0].endswith("qemu-system-x86_64") and cmd[cmd.index("-M") + 1] == "q35"
    assert cmd[cmd.index("-accel") + 1] == "tcg" and cmd[-4:] == ["-smp", "2", "-cpu", "max"]
    rom = Path(cmd[cmd.index("-bios") + 1])
    assert rom.parent == tmp_path / "cache" and rom.is_file()
    assert "built" in first.stderr
    second = qboot(*args, env=env)
    assert "cached" in second.stderr and second.stdout == first.stdout
    traced = qboot("run", "--kernel", kernel, "--trace", "--dry-run", env=env)
    tcmd = shlex.split(traced.stdout.splitlines()[0])
    assert Path(tcmd[tcmd.index("-bios") + 1]) != rom and "-debugcon" in tcmd
    assert "+ " in traced.stderr and "trace" in traced.stderr


def test_run_refuses_what_it_cannot_do(tmp_path):
    r = qboot("run", "--kernel", tmp_path / "missing", "--dry-run")
    assert r.returncode == 2 and "no such file" in r.stderr
    (tmp_path / "k").write_bytes(b"k")
    r = qboot("run", "--kernel", tmp_path / "k", "--accel", "hvf", "--dry-run")
    assert r.returncode == 2 and "unknown accelerator 'hvf'" in r.stderr


def test_kvm_problem_names_the_reason(tmp_path):
    assert "cannot open" in qemu.kvm_problem(str(tmp_path / "kvm"))
    assert qemu.kvm_problem("/dev/null") is not None   # not KVM: the ioctl fails


TRACE = """\
trace_start 0000000000001000
q35_init 0000000000002000
fw_cfg_init 0000000000002800
acpi_load 0000000000004800
kernel_check 0000000000004900
multiboot_probe 0000000000004a00
linux_probe 0000000000004b00
handoff 0000000000009b00
trace_overhead 0000000000000400
qboot-fw: warning: not a mark
"""


def test_trace_becomes_a_timeline():
    marks, overhead = timeline.parse_marks(TRACE)
    assert marks[0] == ("trace_start", 0x1000) and marks[-1] == ("handoff", 0x9B00)
    assert overhead == 0x400
    stages = {"q35_init": "chipset", "fw_cfg_init": "fw_cfg", "acpi_load": "tables",
              "kernel_check": "boot"}
    probes = {"linux_probe": "linux", "multiboot_probe": "multiboot"}
    rows = timeline.timeline(marks, stages, probes)
    assert [(r.stage, r.what, r.took) for r in rows] == [
        ("reset", "reset vector, protected mode, bss", 0x1000),
        ("chipset", "q35_init", 0x1000),
        ("fw_cfg", "fw_cfg_init", 0x800),
        ("tables", "acpi_load", 0x2000),
        ("boot", "kernel_check", 0x100),
        ("boot", "multiboot_probe (multiboot): not its kernel", 0x100),
        ("boot", "linux_probe (linux): loads the kernel", 0x5000)]
    text = timeline.render_timeline(rows, 1.0, "test", overhead)   # 1 MHz: ticks are µs
    assert "TSC at 1.0 MHz, test" in text
    assert "acpi_load" in text and "8,192.0" in text    # 0x2000 ticks
    assert "reset -> kernel entry" in text and "39,680.0" in text   # 0x9b00
    assert "printing the marks took 1,024.0 µs" in text


def test_an_unfinished_trace_says_so():
    rows = timeline.timeline(timeline.parse_marks("trace_start 0000000000000010\n")[0], {}, {})
    assert "did not reach a kernel" in timeline.render_timeline(rows, 1.0, "test")
    assert "no marks" in timeline.render_timeline([], 1.0, "test")


def test_tsc_frequency_is_plausible():
    mhz, source = timeline.tsc_mhz(interval=0.005)
    assert 100 < mhz < 10_000, (mhz, source)


def test_an_icount_timeline_counts_instructions():
    rows = timeline.timeline(timeline.parse_marks(TRACE)[0], {}, {"linux_probe": "linux"})
    text = timeline.render_timeline(rows, None, "icount", 0x400)
    assert "guest instructions" in text and "took instr" in text
    assert "39,680" in text and "39,680.0" not in text   # 0x9b00 instructions
    assert "printing the marks took 1,024 instructions" in text


def test_run_finds_its_tracer_through_the_hook():
    tracer = run.tracer_for()
    assert tracer.feature == "trace"
    assert getattr(tracer.report, "__wrapped__", tracer.report) is timeline.report
