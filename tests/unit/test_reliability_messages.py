"""Messages that named the wrong problem (issue 16 item 5, docs/reliability.md): each bad
input is now one line naming it, exit 2, nothing written.  The firmware's side (random
bytes as -kernel) is in test_kernel_formats.py and tests/e2e/test_reliability.py."""

import os
import re
import subprocess
import sys

import pytest

from qbootcore.plugins import PLUGINS_ENV
from tests.unit.test_reliability_cli import one_line_error, qboot
from tests.unit.test_reliability_plugins import install

THIRD_PARTY = {
    "huge": """
        @hookimpl
        def qboot_features():
            return [Feature(name="badfeat", description="a 70,000-byte fragment",
                            fragments=lambda ctx: [Fragment(
                                name="huge", region="text32", origin="huge.asm",
                                source=".global huge\\nhuge:\\n    .fill 70000, 1, 0x90\\n")])]
    """,
    "requires": """
        @hookimpl
        def qboot_features():
            return [Feature(name="badfeat", description="needs a plugin not installed",
                            requires=("nosuch",))]
    """,
}


def third_party(tmp_path, kind, *args):
    """``qboot-fw ARGS`` with the distribution qboot-fw-badfeat of ``kind`` installed."""
    site = tmp_path / "site"
    site.mkdir()
    install(site, THIRD_PARTY[kind])
    env = {k: v for k, v in os.environ.items() if k != PLUGINS_ENV}
    env["PYTHONPATH"] = str(site)
    return subprocess.run([sys.executable, "-m", "qbootcore.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=tmp_path, env=env)


def outputs(tmp_path):
    return sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("bios"))


def test_a_fragment_too_large_for_its_region_is_an_overflow(tmp_path):
    """Not "keystone failed: Invalid fixup": the fragment, its size, the room left."""
    r = third_party(tmp_path, "huge", "build", "--plugin", "badfeat", "-o", "bios.bin")
    line = one_line_error(r)
    assert re.fullmatch(r"qboot-fw: error: fragment 'huge' of plugin badfeat needs 70000 "
                        r"bytes, region text32 has \d+ free; make it smaller or leave "
                        r"badfeat out", line), line
    assert outputs(tmp_path) == []


def test_a_missing_required_plugin_names_who_requires_it(tmp_path):
    r = third_party(tmp_path, "requires", "build", "--plugin", "badfeat", "-o", "bios.bin")
    line = one_line_error(r, "installed plugins: ")
    assert line.startswith("qboot-fw: error: plugin 'nosuch' (required by 'badfeat') is not "
                           "installed; install it or leave badfeat out; "), line
    assert outputs(tmp_path) == []


def test_a_plugin_asked_for_by_name_is_unknown_not_required(tmp_path):
    r = qboot("build", "--plugin", "nosuch", "-o", "bios.bin", cwd=tmp_path)
    one_line_error(r, "unknown plugin 'nosuch'; valid plugins: ")


def test_run_with_a_directory_as_kernel_says_so(tmp_path):
    (tmp_path / "boot").mkdir()
    cache = tmp_path / "cache"
    r = qboot("run", "--kernel", "boot", "--initrd", "boot", cwd=tmp_path,
              env={**os.environ, "QBOOT_FW_CACHE": str(cache)})
    assert one_line_error(r) == ("qboot-fw: error: kernel boot is a directory; give the "
                                 "kernel file in it")
    assert not cache.exists() or not any(cache.iterdir())
    r = qboot("run", "--kernel", "nofile", cwd=tmp_path,
              env={**os.environ, "QBOOT_FW_CACHE": str(cache)})
    assert one_line_error(r) == "qboot-fw: error: kernel nofile: no such file"


@pytest.mark.parametrize("args,kind", [
    (["--board", ""], "board"), (["--board="], "board"), (["--assembler", ""], "assembler"),
    (["--loader", ""], "loader"), (["--loader", "linux", "--loader", ""], "loader"),
    (["--plugin", ""], "plugin"),
])
def test_an_empty_name_is_refused(tmp_path, args, kind):
    """``--board ""`` built q35 (the default) without a word; ``--assembler ""`` too."""
    r = qboot("build", *args, "-o", "bios.bin", cwd=tmp_path)
    assert one_line_error(r).startswith(f"qboot-fw: error: the {kind} name is empty; "
                                        f"valid {kind}s: ")
    assert outputs(tmp_path) == []


def test_an_empty_name_in_a_recipe_is_refused(tmp_path):
    (tmp_path / "r.toml").write_text('board = ""\nloaders = ["linux"]\n')
    r = qboot("build", "--recipe", "r.toml", "-o", "bios.bin", cwd=tmp_path)
    one_line_error(r, "the board name is empty; valid boards: ", "q35")
    assert outputs(tmp_path) == []
