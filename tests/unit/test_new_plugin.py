"""`qboot-fw new-plugin`: each kind of skeleton is a package that registers and builds."""

import importlib
import subprocess
import sys
import tomllib

import pytest

from qbootcore.build import build, read_recipe
from qbootcore.commands.new_plugin import KINDS, skeleton
from qbootcore.errors import QbootError
from qbootcore.plugins import build_registry, make_manager


def qboot(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "qbootcore.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("kind", KINDS)
def test_skeleton_registers_and_builds(tmp_path, monkeypatch, kind):
    name = f"my_{kind}"
    out = tmp_path / "pkg"
    r = qboot("new-plugin", name, "--kind", kind, "-o", out)
    assert r.returncode == 0, r.stderr
    package = f"qboot_fw_{name}"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == sorted(
        ["pyproject.toml", "README.md", f"{name}.toml", f"{package}/__init__.py",
         f"{package}/{name}.asm", f"{package}/{name}.inc"])
    project = tomllib.loads((out / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["qboot_fw"] == {name: package}
    assert "*.asm" in project["tool"]["setuptools"]["package-data"][package]
    asm = (out / package / f"{name}.asm").read_text()
    assert "Clobbers:" in asm and f".global {name}_" in asm      # documented routines

    monkeypatch.syspath_prepend(str(out))
    module = importlib.import_module(package)
    try:
        reg = build_registry(make_manager(extra=(module,)))
        result = build(read_recipe(out / f"{name}.toml"), reg)
        assert result.manifest["bytes_by_plugin"][name] > 0
        symbols = result.linked.symbols
        assert {"feature": f"{name}_init", "loader": f"{name}_probe",
                "board": f"{name}_init"}[kind] in symbols
    finally:
        sys.modules.pop(package, None)


def test_board_machine_option(tmp_path):
    files = skeleton("myboard", "board", machine="pc")
    assert 'machine="pc"' in files["qboot_fw_myboard/__init__.py"]


@pytest.mark.parametrize("name", ["Bad", "9lives", "has-dash", "class", "x" * 40])
def test_bad_names_are_refused(name):
    with pytest.raises(QbootError, match="must be lower case"):
        skeleton(name)


def test_refuses_a_taken_name_an_unknown_kind_and_a_used_directory(tmp_path):
    r = qboot("new-plugin", "smbios", cwd=tmp_path)
    assert r.returncode == 2 and "a feature named 'smbios' is already installed" in r.stderr
    r = qboot("new-plugin", "fresh", "--kind", "gadget", cwd=tmp_path)
    assert r.returncode == 2 and "unknown kind 'gadget'" in r.stderr
    (tmp_path / "qboot-fw-fresh").mkdir()
    (tmp_path / "qboot-fw-fresh" / "keep").write_text("mine")
    r = qboot("new-plugin", "fresh", cwd=tmp_path)
    assert r.returncode == 2 and "already exists" in r.stderr
    assert [p.name for p in (tmp_path / "qboot-fw-fresh").iterdir()] == ["keep"]
