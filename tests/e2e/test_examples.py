"""End-to-end, under TCG: a third-party plugin package (examples/qboot-fw-oemstrings) and a
`qboot-fw new-plugin` skeleton installed with pip into a fresh venv, found through the
`qboot_fw` entry-point group and built into ROMs by that venv's qboot-fw; the OEM strings
seen by the guest; and `qboot-fw run --trace` booting Linux with a timeline."""

import os
import re
import shlex
import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from qbootcore.plugins import PLUGINS_ENV, registry
from tests.qemu import REPO, boot

EXAMPLE = REPO / "examples" / "qboot-fw-oemstrings"
STRINGS = ["vendor build 42", "serial ACME-0001 / line 7"]
SKELETON = "skel_check"
TIMEOUT = 60


def _run(cmd, **kw):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{shlex.join(map(str, cmd))}\n{r.stdout}\n{r.stderr}"
    return r


@pytest.fixture(scope="module")
def plugin_venv(tmp_path_factory):
    """A fresh venv that sees this interpreter's packages (qboot-fw included) and has the
    example package and a generated skeleton pip-installed: (python, skeleton dir)."""
    root = tmp_path_factory.mktemp("venv")
    env_dir = root / "env"
    # the packages of the interpreter running the tests: --system-site-packages when that
    # is the base interpreter; from a venv (scripts/test.sh: .venv), that venv's site
    # directories instead (.pth files included), not the base's
    in_venv = sys.prefix != sys.base_prefix
    venv.EnvBuilder(system_site_packages=not in_venv).create(env_dir)
    python = env_dir / "bin" / "python"
    if in_venv:
        purelib = _run([python, "-c",
                        "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout
        inherit = "".join(f"import site; site.addsitedir({p!r})\n"
                          for p in site.getsitepackages())
        (Path(purelib.strip()) / "qboot_fw_parent.pth").write_text(inherit)
    # the inherited pip installs into this venv (it follows the running interpreter); an
    # environment without pip gets the venv's own
    if subprocess.run([python, "-m", "pip", "--version"], capture_output=True).returncode:
        venv.EnvBuilder(system_site_packages=not in_venv, with_pip=True).create(env_dir)

    # pip builds in the source tree (build/, *.egg-info): install from a copy
    example = root / "example"
    shutil.copytree(EXAMPLE, example, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__"))
    skeleton = root / "skeleton"
    _run([python, "-m", "qbootcore.cli", "new-plugin", SKELETON, "-o", skeleton])
    # no network and no build isolation when the base has what setuptools needs to build a
    # wheel (setuptools < 70.1 needs the wheel package); else pip's isolated build
    fast = subprocess.run([python, "-c", "import setuptools, wheel"],
                          capture_output=True).returncode == 0
    flags = ["--no-deps", "--no-build-isolation"] if fast else ["--no-deps"]
    _run([python, "-m", "pip", "install", "-q", *flags, example, skeleton],
         env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    return python, skeleton


def qboot_fw(python, *args, **kw):
    """That venv's qboot-fw (the console script lives in whichever environment installed
    qboot-fw, so run its module with the venv's interpreter), with every installed plugin
    (tests/conftest.py restricts the others to the built-ins)."""
    env = {k: v for k, v in os.environ.items() if k != PLUGINS_ENV}
    return _run([python, "-m", "qbootcore.cli", *args], env=env, **kw)


def test_installed_packages_are_discovered_with_no_change_to_qboot_fw(plugin_venv):
    python, _ = plugin_venv
    listing = qboot_fw(python, "list").stdout
    assert re.search(r"^  oemstrings\s+SMBIOS OEM Strings", listing, re.M), listing
    assert re.search(rf"^  {SKELETON}\s", listing, re.M), listing
    # this interpreter does not have them: they came from the venv's entry points alone
    assert "oemstrings" not in registry().features and SKELETON not in registry().features
    info = _run([python, "-m", "pip", "show", "qboot-fw-oemstrings"]).stdout
    assert "Location: " + str(python.parent.parent) in info


@pytest.fixture(scope="module")
def oem_rom(plugin_venv, tmp_path_factory):
    python, _ = plugin_venv
    out = tmp_path_factory.mktemp("oem")
    recipe = out / "vendor.toml"
    recipe.write_text('board = "q35"\nloaders = ["linux"]\nplugins = ["oemstrings"]\n\n'
                      '[options.oemstrings]\nstrings = [' +
                      ", ".join(f'"{s}"' for s in STRINGS) + "]\n")
    qboot_fw(python, "build", "--recipe", recipe, "-o", out / "bios.bin")
    return out / "bios.bin"


def dmi11(serial):
    """The raw type 11 structure the guest printed (tests/guest/init.sh QBOOT-DMI11)."""
    m = re.search(r"^QBOOT-DMI11 ([0-9a-f]+)$", serial, re.M)
    return bytes.fromhex(m.group(1)) if m else None


@pytest.mark.parametrize("entry_point", ["32", "64"])
def test_guest_sees_the_oem_strings(oem_rom, guest, entry_point):
    """SMBIOS 2.1 (QEMU 7.2's default for q35) and 3.0 entry points: with 3.0 Linux stops at
    the End-of-Table structure, so the structure must have gone before it."""
    r = boot(oem_rom, kernel=guest / "vmlinuz", initrd=guest / "initrd.cpio.gz",
             machine=f"q35,smbios-entry-point-type={entry_point}", timeout=TIMEOUT)
    assert r.done and r.report is not None, r.describe()
    assert r.report["dmi_vendor"] == "QEMU", r.report      # QEMU's own tables are intact
    raw = dmi11(r.serial)
    assert raw is not None, r.describe()
    assert raw[0] == 11 and raw[1] == 5 and raw[4] == len(STRINGS), raw
    handle = int.from_bytes(raw[2:4], "little")
    assert handle not in (0, 0xFFFF) and handle < 0xFF00
    assert raw[5:].split(b"\0")[:len(STRINGS)] == [s.encode() for s in STRINGS]
    assert raw.endswith(b"\0\0")


def test_skeleton_builds_with_its_recipe(plugin_venv, tmp_path):
    python, skeleton = plugin_venv
    out = tmp_path / "bios.bin"
    r = qboot_fw(python, "build", "--recipe", skeleton / f"{SKELETON}.toml", "-o", out)
    assert f"+ {SKELETON}" in r.stdout and out.stat().st_size == 65536


def test_run_trace_boots_linux_and_prints_a_timeline(guest, tmp_path):
    env = {**os.environ, "QBOOT_FW_CACHE": str(tmp_path / "cache")}
    r = subprocess.run([sys.executable, "-m", "qbootcore.cli", "run", "--trace",
                        "--kernel", guest / "vmlinuz", "--initrd", guest / "initrd.cpio.gz",
                        "--append", "console=ttyS0 quiet"], capture_output=True, text=True,
                       env=env, timeout=TIMEOUT)
    out = r.stdout.replace("\r", "")
    assert r.returncode == 0, f"{out}\n{r.stderr}"
    cmd = shlex.split(out.splitlines()[0])            # the command line comes first
    assert cmd[cmd.index("-M") + 1] == "q35" and cmd[cmd.index("-accel") + 1] == "tcg"
    assert "QBOOT-DONE" in out, out
    table = out[out.index("boot timeline"):]
    rows = re.findall(r"^  (\w+)\s+(\S.*?)\s+([\d,]+\.\d)\s+([\d,]+\.\d)$", table, re.M)
    steps = [what for _, what, _, _ in rows]
    for step in ("q35_init", "fw_cfg_init", "acpi_load", "smbios_load",
                 "linux_probe (linux): loads the kernel"):
        assert step in steps, table
    at = [float(a.replace(",", "")) for _, _, a, _ in rows]
    took = [float(t.replace(",", "")) for _, _, _, t in rows]
    assert at == sorted(at) and all(t >= 0 for t in took)
    assert 0 < at[-1] < 5_000_000, table                # reset to kernel entry, under 5 s
    assert "reset -> kernel entry" in table
