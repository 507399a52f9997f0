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


DOCS_WITH_NAMES = ["plugins.md", "fragments.md", "boards.md", "architecture.md", "recipes.md"]


def _globals() -> set[str]:
    """Every .global label of the project's assembly."""
    names = set()
    for path in [*REPO.glob("firmware/*.asm"), *REPO.glob("boards/*/*.asm"),
                 *REPO.glob("plugins/*/*.asm")]:
        for line in path.read_text().splitlines():
            if line.strip().startswith(".global"):
                names |= {n.strip() for n in line.split(None, 1)[1].split(",")}
    return names


@pytest.mark.parametrize("name", DOCS_WITH_NAMES)
def test_python_names_the_docs_cite_exist(name):
    """`qbootcore.x.y`, `qboot_boards.x.Y`, `qbootcore.testing.rom(...)`: importable."""
    import importlib
    text = (REPO / "docs" / name).read_text()
    missing = []
    for ref in set(re.findall(r"`((?:qbootcore|qboot_boards|qboot_plugins)(?:\.\w+)+)", text)):
        parts = ref.split(".")
        for i in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except ImportError:
                continue
            for attr in parts[i:]:
                obj = getattr(obj, attr, None)
            if obj is None:
                missing.append(ref)
            break
    assert not missing, f"docs/{name} names what the code does not have: {missing}"


@pytest.mark.parametrize("name", DOCS_WITH_NAMES)
def test_routines_the_docs_cite_exist(name):
    """A `routine` of the docs' library tables and lists is a .global of the firmware."""
    text = (REPO / "docs" / name).read_text()
    rows = re.findall(r"^\| `(\w+)`(?: / `(\w+)`)? \|", text, re.M)
    cited = {n for row in rows for n in row if n and "_" in n}
    listed = re.search(r"\*\*Library routines\*\*(.*?)Each states", text, re.S)
    if listed:
        cited |= set(re.findall(r"`(\w+)`", listed.group(1)))
    known = _globals()
    options = {o for line in (REPO / "docs" / "recipes.md").read_text().splitlines()
               for o in re.findall(r"`(\w+)`", line)}
    missing = sorted(n for n in cited if n not in known and n not in options)
    if name == "fragments.md":
        assert {"fw_cfg_xfer", "e820_ram_end", "alloc_fseg", "load_check"} <= cited
    assert not missing, f"docs/{name} cites routines the firmware does not have: {missing}"
