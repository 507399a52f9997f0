"""The hook reference (docs/hooks.md) is generated from the docstrings and kept current, and
the hand-written plugin docs point at files that exist."""

import re
import types
from pathlib import Path

import pluggy
import pytest

from qbootcore import docs, hookspecs
from qbootcore.errors import QbootError

REPO = Path(__file__).resolve().parents[2]


def test_hooks_md_is_up_to_date():
    assert docs.HOOKS_MD == REPO / "docs" / "hooks.md"
    assert docs.HOOKS_MD.read_text() == docs.render_hooks(), \
        "docs/hooks.md is out of date: run python -m qbootcore.docs"
    assert docs.main(["--check"]) == 0


def test_recipes_md_lists_every_builtin_option():
    text = docs.RECIPES_MD.read_text()
    assert docs.render_options() in text
    assert "| loader `linux` | `entry` | str | '32' |" in text


def test_every_hook_has_a_docstring_and_a_section():
    hooks = docs.hookspec_functions(hookspecs)
    assert {h.__name__ for h in hooks} >= {"qboot_boards", "qboot_loaders", "qboot_features",
                                           "qboot_assemblers", "qboot_build_started"}
    text = docs.render_hooks()
    for hook in hooks:
        assert (hook.__doc__ or "").strip(), f"hook {hook.__name__} has no docstring"
        assert f"### `{hook.__name__}(" in text
    for cls in ("Board", "Loader", "Feature", "Step", "Fragment", "BuildContext"):
        assert f"### `{cls}`" in text


def test_a_hook_without_a_docstring_is_refused():
    spec = pluggy.HookspecMarker("qboot_fw")
    fake = types.ModuleType("fake_hookspecs")
    fake.PROJECT = "qboot_fw"

    @spec
    def qboot_documented():
        """Return nothing.  Called never."""

    @spec
    def qboot_undocumented():
        pass

    fake.qboot_documented, fake.qboot_undocumented = qboot_documented, qboot_undocumented
    with pytest.raises(QbootError, match="hook qboot_undocumented has no docstring"):
        docs.render_hooks(fake)


def test_docstring_markup_becomes_markdown():
    text = docs._markdown("See :class:`~qbootcore.model.Board` and ``--plugin``::\n\n"
                          "    [x]\n    y = 1\n\nafter")
    assert text == "See `Board` and `--plugin`:\n\n```\n[x]\ny = 1\n```\n\nafter"


@pytest.mark.parametrize("name", ["plugins.md", "recipes.md", "run.md", "architecture.md"])
def test_paths_named_in_the_docs_exist(name):
    text = (REPO / "docs" / name).read_text()
    paths = set(re.findall(r"`((?:plugins|boards|firmware|qbootcore|examples|recipes|tests|"
                           r"docs)/[\w./-]+)`", text))
    missing = sorted(p for p in paths if not (REPO / p.rstrip("/")).exists())
    assert not missing, f"docs/{name} names paths that do not exist: {missing}"
