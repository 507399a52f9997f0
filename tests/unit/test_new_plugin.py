"""`qboot-fw new-plugin`: each kind of skeleton is a package that registers and builds."""

import importlib
import os
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


def generate(tmp_path, kind):
    name = f"my_{kind}"
    out = tmp_path / "pkg"
    r = qboot("new-plugin", name, "--kind", kind, "-o", out)
    assert r.returncode == 0, r.stderr
    return name, out


def run_its_tests(out, *args):
    """pytest on the generated package's own tests, with the package importable."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(out), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *args], cwd=out, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("kind", KINDS)
def test_skeleton_registers_builds_and_passes_its_unit_tests(tmp_path, monkeypatch, kind):
    name, out = generate(tmp_path, kind)
    package = f"qboot_fw_{name}"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == sorted(
        ["pyproject.toml", "README.md", f"{name}.toml", f"{package}/__init__.py",
         f"{package}/{name}.asm", f"{package}/{name}.inc", f"tests/test_{name}.py",
         f"tests/test_{name}_e2e.py"])
    project = tomllib.loads((out / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["qboot_fw"] == {name: package}
    assert "*.asm" in project["tool"]["setuptools"]["package-data"][package]
    assert "qboot-fw[test]" in project["project"]["optional-dependencies"]["test"][0]
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
    r = run_its_tests(out, "-m", "not e2e")
    assert r.returncode == 0 and " passed" in r.stdout and "failed" not in r.stdout, \
        r.stdout + r.stderr


def test_board_machine_option(tmp_path):
    files = skeleton("myboard", "board", machine="pc")
    assert 'machines=("pc",)' in files["qboot_fw_myboard/__init__.py"]
    files = skeleton("myboard", "board", machine="pc-i440fx-7.2")
    assert 'machines=("pc-i440fx-7.2",)' in files["qboot_fw_myboard/__init__.py"]


def test_templates_are_package_data_files():
    from qbootcore.commands.new_plugin import TEMPLATES, template_dir
    for kind in KINDS:
        for source in TEMPLATES.values():
            assert (template_dir() / source.replace("KIND", kind)).is_file()


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
