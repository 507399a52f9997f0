"""``inspect`` and ``disasm`` on a hand-edited manifest whose sha256 still matches the ROM
(issue 16 item 6): one line naming the field, exit 2; never a traceback."""

import subprocess
import sys
import tomllib

import pytest
import tomli_w


def qboot(*args, cwd):
    return subprocess.run([sys.executable, "-m", "qbootcore.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("rom")
    assert qboot("build", "-o", "bios.bin", cwd=d).returncode == 0
    return d


def edit(manifest, path, value):
    """Set (or, with value ``...``, delete) the field at ``path`` (keys and indexes)."""
    *parents, last = path
    node = manifest
    for key in parents:
        node = node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value


EDITS = [
    (("regions",), ..., "regions is missing"),
    (("fragments",), "many", "fragments must be a list"),
    (("rom_size",), "64K", "rom_size must be an integer"),
    (("loaders",), ["linux", 3], "loaders must be a list of strings"),
    (("fragments", 0, "size"), "12", "fragments[0].size must be an integer"),
    (("fragments", 0, "offset"), 70000, "fragments[0].offset is 0x11170, outside 0x0-0x10000"),
    (("fragments", 0, "bits"), 64, "fragments[0].bits is 64; it must be 16 or 32"),
    (("fragments", 0, "kind"), "text", "fragments[0].kind is 'text'"),
    (("fragments", 0, "labels"), {"x": -4}, "fragments[0].labels.x is -0x4, outside"),
    (("fragments", 0, "data"), [[0, 1 << 20]], "fragments[0].data[0] must be [start, end]"),
    (("fragments", 0, "name"), ..., "fragments[0].name is missing"),
    (("symbols",), {"entry32": "here"}, "symbols.entry32 must be an integer"),
    (("regions", "text32", "used"), None, "regions.text32 must be a table"),
]


@pytest.mark.parametrize("command", ["inspect", "disasm"])
@pytest.mark.parametrize("path,value,message", EDITS, ids=[e[2][:30] for e in EDITS])
def test_a_hand_edited_manifest_is_refused_by_field(built, tmp_path, command, path, value,
                                                    message):
    manifest = tomllib.loads((built / "bios.bin.toml").read_text())
    if path == ("regions", "text32", "used"):
        manifest["regions"]["text32"] = "full"
    else:
        edit(manifest, path, value)
    (tmp_path / "bios.bin").write_bytes((built / "bios.bin").read_bytes())
    (tmp_path / "bios.bin.toml").write_text(tomli_w.dumps(manifest))
    r = qboot(command, "bios.bin", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    line, = r.stderr.strip().splitlines()
    assert line.startswith("qboot-fw: error: manifest bios.bin.toml: "), line
    assert message in line, line
    assert line.endswith("it was edited or damaged: rebuild with qboot-fw build -o bios.bin")


@pytest.mark.parametrize("command", ["inspect", "disasm"])
def test_the_manifest_as_written_passes(built, command):
    r = qboot(command, "bios.bin", cwd=built)
    assert r.returncode == 0 and r.stderr == "", r.stderr
