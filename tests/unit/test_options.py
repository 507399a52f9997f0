"""Typed options: declared once on the component (``Option``), converted and checked once by
the core for recipe values and ``--option`` strings alike; plugins see typed values."""

import pytest

from qbootcore import hookimpl
from qbootcore.build import Selection, build, resolve
from qbootcore.errors import QbootError
from qbootcore.model import Feature, Fragment, Option, Step
from qbootcore.plugins import build_registry, make_manager

SEEN = {}


class Tagged:
    """A feature configured by options, as a third-party author writes one."""

    @hookimpl
    def qboot_features(self):
        def fragments(ctx):
            SEEN.update(ctx.options_for("tagged"))
            return [Fragment(name="tagged", region="text32", origin="tagged.asm",
                             source=".global tagged_step\ntagged_step:\n    ret\n",
                             constants={"TAGGED_BASE": ctx.option("tagged", "base")})]
        return [Feature(name="tagged", description="a tagged RAM range", fragments=fragments,
                        steps=(Step("reserve", "tagged_step"),),
                        options={"base": Option(int, required=True, min=0x100000,
                                                max=0xFFFFFFFF, help="start"),
                                 "pages": Option(int, default=4, min=1, max=64, help="4 KiB pages"),
                                 "verbose": Option(bool, default=False, help="say more"),
                                 "mode": Option(str, default="ram", choices=("ram", "pmem")),
                                 "tags": Option(list, default=["a"], max=3)})]


@pytest.fixture(scope="module")
def reg():
    return build_registry(make_manager(extra=(Tagged(),)))


def sel(**options):
    return Selection(plugins=["tagged"], options={"tagged": options})


@pytest.mark.parametrize("given,typed", [
    ({"base": "0x10000000"}, {"base": 0x10000000, "pages": 4, "verbose": False, "mode": "ram",
                              "tags": ["a"]}),
    ({"base": 0x10000000, "pages": "16", "verbose": "yes", "mode": "pmem", "tags": "one"},
     {"base": 0x10000000, "pages": 16, "verbose": True, "mode": "pmem", "tags": ["one"]}),
    ({"base": "1048576", "verbose": True, "tags": ["x", "y"]},
     {"base": 0x100000, "pages": 4, "verbose": True, "mode": "ram", "tags": ["x", "y"]}),
])
def test_recipe_values_and_strings_become_the_declared_type(reg, given, typed):
    assert resolve(sel(**given), reg).ctx.options_for("tagged") == typed


def test_the_plugin_sees_typed_values_and_the_manifest_records_them(reg):
    SEEN.clear()
    result = build(sel(base="0x200000", pages="2"), reg)
    assert SEEN["base"] == 0x200000 and SEEN["pages"] == 2
    assert result.manifest["options"] == {"tagged": {"base": 0x200000, "pages": 2}}


@pytest.mark.parametrize("given,message", [
    ({}, "tagged needs option base (start): add [options.tagged] base = ... to the recipe or "
         "--option tagged.base=VALUE"),
    ({"base": "lots"}, "tagged.base must be an integer (e.g. 4096 or 0x10000000), not 'lots'"),
    ({"base": True}, "tagged.base must be an integer"),
    ({"base": 0x1000}, "tagged.base needs a value of at least 0x100000, not 4096"),
    ({"base": 0x100000, "pages": 65}, "tagged.pages needs a value of at most 64, not 65"),
    ({"base": 0x100000, "verbose": "maybe"}, "tagged.verbose must be true or false, not 'maybe'"),
    ({"base": 0x100000, "mode": "rom"}, "tagged.mode must be one of ram, pmem, not 'rom'"),
    ({"base": 0x100000, "tags": ["a", 1]}, "tagged.tags must be a list of strings"),
    ({"base": 0x100000, "tags": ["a"] * 4}, "tagged.tags needs entries of at most 3"),
    ({"base": 0x100000, "colour": 1}, "tagged has no option 'colour'; valid options: base, "
                                      "pages, verbose, mode, tags"),
])
def test_bad_values_are_refused_with_one_line(reg, given, message):
    with pytest.raises(QbootError) as exc:
        resolve(sel(**given), reg)
    assert str(exc.value).startswith(message) and "\n" not in str(exc.value)


def test_required_options_only_matter_when_the_feature_is_built(reg):
    assert "tagged" not in resolve(Selection(), reg).ctx.options


def test_declarations_are_checked():
    with pytest.raises(TypeError, match="Option type must be one of"):
        Option(float)
    with pytest.raises(QbootError, match="the default must be one of"):
        Option(str, default="x", choices=("y",))
    # the first API's one-line descriptions still declare (string) options
    feat = Feature(name="old", description="", options={"k": "a key"})
    assert feat.options["k"] == Option(str, help="a key")


def test_describe_is_one_line():
    assert Option(int, default=0x10000000, min=0, help="start").describe() == \
        "(int; 0..; default 0x10000000) start"
    assert Option(str, choices=("32", "64"), default="32", help="entry").describe() == \
        "(str; one of 32, 64; default '32') entry"
    assert Option(list, required=True, min=1, max=255).describe() == \
        "(list of strings; length 1..255; required)"


def test_the_builtins_declare_typed_options():
    from qbootcore.plugins import registry
    reg = registry()
    assert reg.loaders["linux"].options["entry"].choices == ("32", "64", "real")
    assert reg.features["pmem"].options["legacy_start"].type is int
    assert reg.features["pci"].options["skip_with_acpi"].type is bool
