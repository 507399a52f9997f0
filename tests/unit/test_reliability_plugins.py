"""A broken third-party plugin (issue 16, docs/reliability.md): installed as a real
distribution (dist-info with an entry point on sys.path), it is reported by distribution
and entry point and skipped; ``list`` and builds that do not use it still work, and a build
that uses it fails with one line naming it."""

import os
import subprocess
import sys
import textwrap

import pytest

from qbootcore.plugins import PLUGINS_ENV

HEADER = """
from qbootcore import hookimpl
from qbootcore.errors import QbootError
from qbootcore.model import Feature, Fragment
"""

PLUGINS = {
    "import": "raise RuntimeError('half-installed: libfoo.so missing')",
    "signature": """
        @hookimpl
        def qboot_features(colour):
            return []
    """,
    "unknown_hook": """
        @hookimpl
        def qboot_feature():
            return []
    """,
    "wrong_type": """
        @hookimpl
        def qboot_features():
            return "badfeat"
    """,
    "wrong_item": """
        @hookimpl
        def qboot_features():
            return [{"name": "badfeat"}]
    """,
    "raises": """
        @hookimpl
        def qboot_features():
            return [][1]
    """,
    "fragments": """
        def frags(ctx):
            raise KeyError("no_such_option")
        @hookimpl
        def qboot_features():
            return [Feature(name="badfeat", description="crashes", fragments=frags)]
    """,
    "fragments_type": """
        @hookimpl
        def qboot_features():
            return [Feature(name="badfeat", description="wrong type",
                            fragments=lambda ctx: ["mov eax, 1"])]
    """,
    "started": """
        @hookimpl
        def qboot_features():
            return [Feature(name="badfeat", description="crashes when a build starts")]
        @hookimpl
        def qboot_build_started(ctx):
            return 1 / 0
    """,
}
ORIGIN = "entry point 'badfeat = badfeat_plugin' of distribution qboot-fw-badfeat 1.0"
FIX = "fix or uninstall qboot-fw-badfeat (pip uninstall qboot-fw-badfeat)"


def install(site, body):
    """A distribution qboot-fw-badfeat 1.0 with entry point badfeat = badfeat_plugin."""
    (site / "badfeat_plugin.py").write_text(HEADER + textwrap.dedent(body))
    info = site / "qboot_fw_badfeat-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: qboot-fw-badfeat\n"
                                   "Version: 1.0\n")
    (info / "entry_points.txt").write_text("[qboot_fw]\nbadfeat = badfeat_plugin\n")


@pytest.fixture
def broken(tmp_path):
    def run(kind, *args):
        site = tmp_path / "site"
        if not site.exists():
            site.mkdir()
            install(site, PLUGINS[kind])
        # the installed third-party plugin is the point here (tests/conftest.py)
        env = {k: v for k, v in os.environ.items() if k != PLUGINS_ENV}
        env["PYTHONPATH"] = str(site)
        return subprocess.run([sys.executable, "-m", "qbootcore.cli", *map(str, args)],
                              capture_output=True, text=True, cwd=tmp_path, env=env)
    return run


SKIPPED = {
    "import": "importing it raised RuntimeError: half-installed: libfoo.so missing",
    "signature": "Argument(s) {'colour'} are declared in the hookimpl but can not be found",
    "unknown_hook": "it implements qboot_feature, which is not a qboot-fw hook",
    "wrong_type": "qboot_features() returned str, not a list of Feature",
    "wrong_item": "qboot_features() returned a dict among its features, not a Feature",
    "raises": "qboot_features() raised IndexError: list index out of range",
}


@pytest.mark.parametrize("kind", sorted(SKIPPED))
def test_a_plugin_that_cannot_register_is_reported_and_skipped(broken, kind):
    r = broken(kind, "list")
    assert r.returncode == 0, r.stderr
    assert "q35" in r.stdout and "linux" in r.stdout and "badfeat" not in r.stdout
    warning, = r.stderr.strip().splitlines()
    assert warning.startswith(f"qboot-fw: warning: plugin 'badfeat' ({ORIGIN}) was skipped: ")
    assert SKIPPED[kind] in warning and warning.endswith(FIX)
    # a build that does not use it works, with the same warning
    r = broken(kind, "build", "-o", "bios.bin")
    assert r.returncode == 0 and r.stderr.strip() == warning, r.stderr


@pytest.mark.parametrize("kind,reason", [
    ("fragments", "failed in badfeat.fragments(): KeyError: 'no_such_option'"),
    ("fragments_type", "badfeat.fragments() returned a str among its fragments"),
    ("started", "failed in qboot_build_started: ZeroDivisionError: division by zero"),
])
def test_a_plugin_that_fails_in_a_build_that_uses_it(broken, kind, reason, tmp_path):
    r = broken(kind, "list")
    assert r.returncode == 0 and "badfeat" in r.stdout and r.stderr == ""
    r = broken(kind, "build", "--plugin", "badfeat", "-o", "bios.bin")
    assert r.returncode == 2
    assert r.stderr.strip() == f"qboot-fw: error: plugin 'badfeat' ({ORIGIN}) {reason}; {FIX}" \
        or r.stderr.strip() == f"qboot-fw: error: plugin 'badfeat' ({ORIGIN}): {reason}; {FIX}"
    assert not (tmp_path / "bios.bin").exists()


def test_a_crashing_observer_does_not_fail_builds_that_do_not_use_it(broken, tmp_path):
    r = broken("started", "build", "-o", "bios.bin")
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == (
        f"qboot-fw: warning: plugin 'badfeat' ({ORIGIN}) failed in qboot_build_started: "
        f"ZeroDivisionError: division by zero; {FIX} (the build goes on: it uses nothing "
        f"of this plugin)")
    assert (tmp_path / "bios.bin").stat().st_size == 65536
