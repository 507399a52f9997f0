"""The command line as a user meets it: builds, recipes, manifests and bad input."""

import hashlib
import subprocess
import sys
import tomllib

import pytest

from qbootcore.plugins import registry


def qboot(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "qbootcore.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


def test_build_writes_rom_and_manifest(tmp_path):
    out = tmp_path / "bios.bin"
    r = qboot("build", "--board", "q35", "--loader", "linux", "-o", out)
    assert r.returncode == 0, r.stderr
    rom = out.read_bytes()
    assert len(rom) == 65536
    man = tomllib.loads((tmp_path / "bios.bin.toml").read_text())
    assert man["board"] == "q35" and man["loaders"] == ["linux"]
    assert man["assembler"] == "keystone" and "smbios" in man["plugins"]
    assert man["sha256"] == hashlib.sha256(rom).hexdigest()
    assert man["regions"]["text32"]["used"] > 0 and man["qboot_fw_version"]
    assert "bytes" in r.stdout and "sha256" in r.stdout


def test_recipe_gives_the_same_rom(tmp_path):
    (tmp_path / "fw.toml").write_text('board = "q35"\nloaders = ["linux"]\n')
    assert qboot("build", "--recipe", tmp_path / "fw.toml", "-o", tmp_path / "a.bin").returncode == 0
    assert qboot("build", "-o", tmp_path / "b.bin").returncode == 0
    assert (tmp_path / "a.bin").read_bytes() == (tmp_path / "b.bin").read_bytes()


REG = registry()


def valid(kind, names):
    return f"unknown {kind} 'nosuch'; valid {kind}s: {', '.join(names)}"


@pytest.mark.parametrize("args,message", [
    (["--board", "nosuch"], valid("board", REG.boards)),
    (["--loader", "nosuch"], valid("loader", REG.loaders)),
    (["--plugin", "nosuch"], valid("plugin", REG.features)),
    (["--assembler", "nosuch"], valid("assembler", REG.assemblers)),
    (["--recipe", "missing.toml"], "cannot read recipe missing.toml: no such file"),
    (["--option", "linux.entry=16"], "linux.entry must be one of 32, 64, real, not '16'"),
    (["--option", "linux"], "--option 'linux' is not COMPONENT.KEY=VALUE"),
    (["--option", "linux.entry=real"], "linux: entry=real runs the kernel's real-mode setup "
                                       "code, which needs BIOS services: add --plugin bios16"),
])
def test_bad_input_is_one_line_exit_2_and_no_output(tmp_path, args, message):
    r = qboot("build", *args, "-o", tmp_path / "bios.bin", cwd=tmp_path)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert r.stderr.startswith(f"qboot-fw: error: {message}"), r.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("recipe,message", [
    ('board = "q35"\ncolour = "red"\n', "unknown key 'colour'; valid keys: assembler, board, "
                                         "loaders, options, plugins"),
    ("board = [\n", "is not valid TOML"),
    ('loaders = "linux"\n', "loaders must be a list of strings"),
    ('[options.nosuch]\nx = 1\n', "options for 'nosuch', which is not part of this build"),
    ('[options.linux]\nx = 1\n', "linux has no option 'x'"),
])
def test_bad_recipes_are_refused(tmp_path, recipe, message):
    (tmp_path / "fw.toml").write_text(recipe)
    r = qboot("build", "--recipe", "fw.toml", "-o", "bios.bin", cwd=tmp_path)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert message in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fw.toml"]


def test_a_failed_build_keeps_the_previous_rom(tmp_path):
    out = tmp_path / "bios.bin"
    out.write_bytes(b"old")
    assert qboot("build", "--board", "nosuch", "-o", out).returncode == 2
    assert out.read_bytes() == b"old"


def test_list_shows_every_kind():
    r = qboot("list")
    assert r.returncode == 0
    for word in ("boards:", "q35", "loaders:", "linux", "plugins:", "smbios", "assemblers:",
                 "keystone"):
        assert word in r.stdout


def test_list_verbose_shows_the_typed_options():
    r = qboot("list", "-v")
    assert r.returncode == 0
    assert "--option linux.entry  (str; one of 32, 64, real; default '32') kernel entry" in r.stdout
    assert "--option pmem.legacy_start  (int; 0..0xffe00000)" in r.stdout
    assert "--option" not in qboot("list").stdout
