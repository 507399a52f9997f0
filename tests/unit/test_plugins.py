"""Plugin discovery: built-ins come through the entry-point group, third parties too."""

import inspect

import pytest

from qbootcore import hookimpl, hookspecs
from qbootcore.build import Selection, build
from qbootcore.errors import QbootError
from qbootcore.model import Feature, Fragment, Step
from qbootcore.plugins import ENTRY_POINT_GROUP, build_registry, make_manager


def test_every_hook_is_documented_with_when_and_what():
    hooks = [f for name, f in inspect.getmembers(hookspecs, inspect.isfunction)
             if name.startswith("qboot_")]
    assert hooks
    for hook in hooks:
        doc = inspect.getdoc(hook) or ""
        assert "Called" in doc and ("Return" in doc or "return" in doc), hook.__name__


def test_builtins_register_through_the_entry_point_group():
    pm = make_manager()
    names = {name for name, _ in pm.list_name_plugin()}
    assert {"q35", "linux", "smbios"} <= names
    assert ENTRY_POINT_GROUP == "qboot_fw"


class BannerPlugin:
    """A third-party style plugin: a feature with its own code and a step."""

    @hookimpl
    def qboot_features(self):
        return [Feature(name="banner", description="says hello on the debug console",
                        fragments=lambda ctx: [Fragment(
                            name="banner", region="text32", origin="banner.asm",
                            source=".global banner_hello\nbanner_hello:\n"
                                   "    mov esi, text\n    jmp warn\ntext: .asciz \"hi\"\n")],
                        steps=(Step("late", "banner_hello"),))]


def test_a_third_party_feature_is_built_and_called():
    reg = build_registry(make_manager(extra=(BannerPlugin(),)))
    assert "banner" in reg.features
    result = build(Selection(plugins=["banner"]), reg)
    chain = next(p for p in result.linked.placements if p.fragment.name == "init_chain")
    assert any("call" in l.text and hex(result.linked.symbols["banner_hello"]) in l.text
               for l in chain.lines)
    assert result.manifest["plugins"] == ["banner", "smbios", "mptable"]
    assert result.manifest["bytes_by_plugin"]["banner"] > 0


def test_two_plugins_with_one_name_are_refused():
    with pytest.raises(QbootError, match="two plugins register a feature named 'banner'"):
        build_registry(make_manager(extra=(BannerPlugin(), BannerPlugin())))


def test_a_plugin_may_refuse_a_build():
    class Picky:
        @hookimpl
        def qboot_build_started(self, ctx):
            raise QbootError(f"picky: board {ctx.board} not supported")
    reg = build_registry(make_manager(extra=(Picky(),)))
    with pytest.raises(QbootError, match="picky: board q35 not supported"):
        build(Selection(), reg)


def test_the_projects_tests_ignore_other_installed_plugins(tmp_path, monkeypatch):
    """A third-party package that is installed (here: a dist-info on sys.path) with a
    required option and a board name that clashes breaks a registry of everything
    installed, not the one qboot-fw's tests use (tests/conftest.py: QBOOT_FW_PLUGINS)."""
    import os
    from qbootcore.plugins import PLUGINS_ENV
    info = tmp_path / "qboot_fw_clash-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: qboot-fw-clash\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[qboot_fw]\nclash = qboot_fw_clash\n")
    (tmp_path / "qboot_fw_clash.py").write_text(
        "from qbootcore import hookimpl\n"
        "from qbootcore.model import Board, Feature, Option\n"
        "@hookimpl\n"
        "def qboot_boards():\n    return [Board(name='pc', description='another pc')]\n"
        "@hookimpl\n"
        "def qboot_features():\n"
        "    return [Feature(name='needy', description='',\n"
        "                    options={'x': Option(int, required=True)})]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(QbootError, match="two plugins register a board named 'pc'"):
        build_registry(make_manager(builtin_only=False))
    assert os.environ[PLUGINS_ENV] == "builtin"
    reg = build_registry(make_manager())
    assert "needy" not in reg.features and reg.boards["pc"].machines == ("pc",)
    assert build(Selection(board="pc"), reg).manifest["board"] == "pc"
