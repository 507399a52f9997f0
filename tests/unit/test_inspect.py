"""Seeing inside a ROM: the manifest's per-fragment records, ``qboot-fw inspect``,
``qboot-fw disasm``, and the ELF file for gdb written beside every ROM."""

import json
import re
import shutil
import subprocess
import sys
import tomllib

import pytest
from elftools.elf.elffile import ELFFile

from qbootcore import build as build_mod
from qbootcore.build import Selection, build, write


def qboot(*args):
    return subprocess.run([sys.executable, "-m", "qbootcore.cli", *map(str, args)],
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def rom(tmp_path_factory):
    """A ROM built by the CLI, with its manifest and ELF file."""
    out = tmp_path_factory.mktemp("inspect") / "bios.bin"
    r = qboot("build", "-o", out)
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def manifest(rom):
    return tomllib.loads(rom.with_name("bios.bin.toml").read_text())


def fragment(manifest, name):
    return next(f for f in manifest["fragments"] if f["name"] == name)


def test_manifest_records_mode_kind_labels_and_data_of_each_fragment(manifest):
    reset, gdt, entry32 = (fragment(manifest, n) for n in ("reset", "gdt", "entry32"))
    assert (reset["bits"], reset["kind"], reset["region"]) == (16, "code", "reset")
    assert (gdt["kind"], entry32["bits"], entry32["kind"]) == ("data", 32, "code")
    assert entry32["labels"]["entry32"] == 0 and entry32["offset"] == 0
    assert entry32["address"] + entry32["labels"]["entry32"] == manifest["symbols"]["entry32"]
    console = fragment(manifest, "console")  # its messages are data inside a code fragment
    assert console["data"] and all(0 <= a < b <= console["size"] for a, b in console["data"])
    assert {f["kind"] for f in manifest["fragments"] if f["region"] == "bss"} == {"bss"}


def test_inspect_shows_regions_and_largest_fragments_by_plugin(rom, manifest):
    r = qboot("inspect", rom)
    assert r.returncode == 0, r.stderr
    for name in ("text32", "fseg", "reset", "bss", "0xffff0000", "largest fragments"):
        assert name in r.stdout
    for owner in {f["owner"] for f in manifest["fragments"]}:
        assert f"  {owner}: " in r.stdout


def test_inspect_json_adds_up(rom, manifest):
    r = qboot("inspect", rom, "--json", "--top", "2")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["sha256"] == manifest["sha256"]
    for region in data["regions"]:
        assert region["used"] + region["free"] == region["size"]
        assert region["end"] - region["start"] == region["size"]
    assert sum(p["rom_bytes"] for p in data["by_plugin"]) == manifest["rom_bytes_used"]
    for p in data["by_plugin"]:
        sizes = [f["size"] for f in p["fragments"]]
        assert sizes == sorted(sizes, reverse=True) and len(sizes) <= 2


def test_missing_or_mismatched_rom_and_manifest_are_one_line_errors(rom, tmp_path):
    copy = tmp_path / "bios.bin"
    cases = [(tmp_path / "absent.bin", "cannot read .*absent.bin: no such file")]
    copy.write_bytes(rom.read_bytes())
    cases.append((copy, "no manifest .*bios.bin.toml beside"))
    for path, message in cases:
        r = qboot("inspect", path)
        assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
        assert r.stderr.startswith("qboot-fw: error: ")
        assert re.search(message, r.stderr), r.stderr
    (tmp_path / "bios.bin.toml").write_text(rom.with_name("bios.bin.toml").read_text())
    copy.write_bytes(b"\x90" + rom.read_bytes()[1:])
    for command in ("inspect", "disasm"):
        r = qboot(command, copy)
        assert r.returncode == 2 and "sha256 differs" in r.stderr and r.stderr.count("\n") == 1


def test_disasm_uses_each_fragments_mode_and_names_symbols(rom, manifest):
    r = qboot("disasm", rom)
    assert r.returncode == 0, r.stderr
    text = r.stdout
    entry16 = manifest["symbols"]["entry16"]
    # the reset vector's near jump decoded as 16-bit code (3 bytes), with its target named
    assert f"jmp {entry16:#x}  ; entry16" in text
    assert "fragment reset of core: reset, 16-bit code" in text
    assert f"call {manifest['symbols']['init_chain']:#x}  ; init_chain" in text
    assert '.asciz "' in text  # messages inside code fragments are shown as strings
    one = qboot("disasm", rom, "entry16")
    assert one.returncode == 0 and "lgdt cs:[" in one.stdout and "; gdt_descriptor" in one.stdout
    assert "entry32:" not in one.stdout


def test_disasm_of_an_unknown_symbol_suggests_close_ones(rom):
    r = qboot("disasm", rom, "entry_32")
    assert r.returncode == 2 and "no fragment or label named 'entry_32'" in r.stderr
    assert "did you mean" in r.stderr and "entry32" in r.stderr


def test_elf_has_the_rom_and_every_symbol_at_its_run_time_address(rom, manifest):
    with open(rom.with_name("bios.bin.elf"), "rb") as fh:
        elf = ELFFile(fh)
        assert elf["e_machine"] == "EM_386" and elf["e_type"] == "ET_EXEC"
        image = rom.read_bytes()
        sections = {s.name: s for s in elf.iter_sections()}
        assert sections[".rom"]["sh_addr"] == 0xFFFF0000 and sections[".rom"].data() == image
        fseg = sections[".fseg"]
        start = fseg["sh_addr"] - 0xF0000
        assert fseg.data() == image[start:] and start == fragment(manifest, "entry16")["offset"]
        assert sections[".bss"]["sh_type"] == "SHT_NOBITS"
        bss_index = elf.get_section_index(".bss")
        syms = {(s.name, s["st_value"]): s
                for s in elf.get_section_by_name(".symtab").iter_symbols()}
    for name, address in manifest["symbols"].items():
        assert syms[name, address]["st_info"]["bind"] == "STB_GLOBAL", name
    for f in manifest["fragments"]:
        ends = sorted(set(f["labels"].values()) | {f["size"]})
        for name, off in f["labels"].items():
            sym = syms[name, f["address"] + off]
            is_code = f["kind"] == "code" and not any(a <= off < b for a, b in f["data"])
            assert sym["st_info"]["type"] == ("STT_FUNC" if is_code else "STT_OBJECT"), name
            assert sym["st_size"] == next((e for e in ends if e > off), off) - off, name
            bind = "STB_GLOBAL" if manifest["symbols"].get(name) == sym["st_value"] else \
                "STB_LOCAL"
            assert sym["st_info"]["bind"] == bind, name
            if f["kind"] == "bss":
                assert sym["st_shndx"] == bss_index
    assert syms["entry32", manifest["symbols"]["entry32"]]["st_size"] > 0


@pytest.mark.skipif(shutil.which("gdb") is None, reason="gdb not installed")
def test_gdb_finds_firmware_symbols(rom, manifest):
    r = subprocess.run(["gdb", "-batch", "-nx", "-ex", "info address entry32",
                        "-ex", "info symbol 0xffff0001", str(rom.with_name("bios.bin.elf"))],
                       capture_output=True, text=True, timeout=60)
    assert f"is at {manifest['symbols']['entry32']:#x}" in r.stdout, r.stdout + r.stderr
    assert "entry32 + 1 in section .rom" in r.stdout


def test_a_failing_elf_writer_leaves_no_file_behind(tmp_path, monkeypatch):
    result = build(Selection())

    def broken(rom, manifest):
        raise RuntimeError("boom")
    monkeypatch.setattr(build_mod.elf, "rom_elf", broken)
    with pytest.raises(RuntimeError):
        write(result, tmp_path / "bios.bin")
    assert list(tmp_path.iterdir()) == []
