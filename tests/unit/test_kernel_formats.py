"""Loaders describe their kernel formats (Loader.formats); the core generates the table the
"no loader for this kernel" panic reads, so a third-party loader's format is named too."""

from pathlib import Path

import pytest

from qbootcore import hookimpl
from qbootcore.build import Selection, build
from qbootcore.model import Fragment, KernelFormat, Loader
from qbootcore.plugins import build_registry, make_manager
from qbootcore.testing import FwCfg, Machine, Panic

REPO = Path(__file__).resolve().parents[2]


class Toy:
    @hookimpl
    def qboot_loaders(self):
        return [Loader(name="toy", description="toy kernels", probe="toy_probe",
                       formats=(KernelFormat("a toy kernel", ("genroms/toy.bin",)),),
                       fragments=lambda ctx: [Fragment(
                           name="toy", region="text32", origin="toy.asm",
                           source=".global toy_probe\ntoy_probe:\n"
                                  "    mov esi, kernel_format_files_toy\n"
                                  "    call kernel_format_present\n    ret\n")])]


@pytest.fixture(scope="module")
def linked():
    reg = build_registry(make_manager(extra=(Toy(),)))
    return build(Selection(loaders=["linux"]), reg).linked


@pytest.mark.parametrize("file,found", [
    ("genroms/toy.bin", "a toy kernel (loader: toy)"),
    ("genroms/multiboot.bin", "a multiboot kernel (loader: multiboot)"),
    ("genroms/pvh.bin", "a PVH ELF kernel (loader: pvh)"),
    ("genroms/other.bin", "a kernel of unknown format"),
])
def test_the_panic_names_the_format_qemu_prepared(linked, file, found):
    fw = FwCfg()
    fw.add_file(file, b"\0" * 16)
    m = Machine(linked, fw)
    m.call("fw_cfg_init")
    m.write(0x7000, b"linux\0")
    with pytest.raises(Panic) as exc:
        m.call("no_loader_panic", esi=0x7000)
    assert str(exc.value) == (f"qboot-fw: panic: no loader for {found}; ROM has: linux. Rebuild "
                              f"with its "
                              f"--loader.")


def test_a_probe_finds_its_own_files(linked):
    fw = FwCfg()
    fw.add_file("genroms/toy.bin", b"\0" * 16)
    reg = build_registry(make_manager(extra=(Toy(),)))
    m = Machine(build(Selection(loaders=["toy"]), reg).linked, fw)
    m.call("fw_cfg_init")
    assert m.call("toy_probe").regs["eax"] != 0
    m = Machine(build(Selection(loaders=["toy"]), reg).linked, FwCfg())
    m.call("fw_cfg_init")
    assert m.call("toy_probe").regs["eax"] == 0


def test_no_loader_is_named_in_the_core_or_copied_in_a_loader():
    for path in ("firmware/boot.asm", "plugins/multiboot/multiboot.asm", "plugins/pvh/pvh.asm"):
        assert "genroms/" not in (REPO / path).read_text(), path
