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


def declined_by_linux(linked, *files):
    """Run linux_probe on a setup part of junk (no HdrS), with ``files`` in fw_cfg; then the
    core's no_loader_panic.  Its message."""
    fw = FwCfg()
    for name in files:
        fw.add_file(name, b"\0" * 16)
    fw.add_item(0x18, bytes(range(256)) * 32)   # FW_CFG_SETUP_DATA: no HdrS at 0x202
    m = Machine(linked, fw)
    m.call("fw_cfg_init")
    m.call("linux_probe")                       # returns: not a bzImage
    m.write(0x7000, b"linux\0")
    with pytest.raises(Panic) as exc:
        m.call("no_loader_panic", esi=0x7000)
    return str(exc.value)


def test_a_kernel_qemu_prepared_as_a_bzimage_but_without_a_header_is_named(linked):
    """Issue 16 item 5: random bytes as -kernel; the ROM has the linux loader, which says
    what is wrong with the kernel instead of sending the user to rebuild."""
    assert declined_by_linux(linked, "genroms/linuxboot_dma.bin") == \
        "qboot-fw: panic: linux: not a bzImage (no HdrS header)"


def test_a_reason_is_only_given_for_its_own_format(linked):
    """The linux loader declined, but QEMU prepared a multiboot kernel: the ROM lacks its
    loader, and the panic says so."""
    assert declined_by_linux(linked, "genroms/multiboot_dma.bin") == (
        "qboot-fw: panic: no loader for a multiboot kernel (loader: multiboot); ROM has: "
        "linux. Rebuild with its --loader.")
