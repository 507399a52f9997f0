"""Every recipe in recipes/ builds, and each is what its name says."""

import sys
import tomllib
from pathlib import Path

import pytest

from qbootcore.build import build, read_recipe
from qbootcore.plugins import build_registry, make_manager, registry

REPO = Path(__file__).resolve().parents[2]
RECIPES = sorted((REPO / "recipes").glob("*.toml"))
EXAMPLE = REPO / "examples" / "qboot-fw-oemstrings"


def test_the_ready_recipes_are_there():
    assert {"q35-linux-minimal.toml", "general.toml"} <= {p.name for p in RECIPES}


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.stem)
def test_recipe_builds(recipe):
    data = tomllib.loads(recipe.read_text())
    assert data["board"] in registry().boards, \
        f"{recipe.name} names board {data['board']!r}, which is not installed"
    result = build(read_recipe(recipe))
    man = result.manifest
    assert man["board"] == data["board"] and man["loaders"] == data["loaders"]
    assert len(result.rom) == 65536 and man["rom_bytes_used"] > 0


def test_minimal_is_q35_linux_only():
    man = build(read_recipe(REPO / "recipes" / "q35-linux-minimal.toml")).manifest
    required = set(registry().boards["q35"].requires)
    assert man["board"] == "q35" and man["loaders"] == ["linux"]
    assert set(man["plugins"]) == required      # nothing beyond what the board needs


def test_general_has_every_builtin_loader():
    man = build(read_recipe(REPO / "recipes" / "general.toml")).manifest
    assert {"linux", "multiboot", "pvh", "netboot", "disk"} <= set(man["loaders"])


def test_the_example_recipe_builds_with_the_example_plugin(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    import qboot_fw_oemstrings
    reg = build_registry(make_manager(extra=(qboot_fw_oemstrings,)))
    man = build(read_recipe(EXAMPLE / "oemstrings.toml"), reg).manifest
    assert "oemstrings" in man["plugins"] and man["bytes_by_plugin"]["oemstrings"] > 0
    sys.modules.pop("qboot_fw_oemstrings", None)
