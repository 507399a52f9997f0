"""End-to-end, under TCG: every loader with the project's own test kernels (multiboot, PVH)
and with the real Debian kernel (bzImage through the 32- and 64-bit entries, vmlinux through
PVH); and the message for a kernel the ROM has no loader for."""

import re

import pytest

from qbootcore.plugins import registry
from tests.qemu import boot, build
from tests.stubs import EXIT_MULTIBOOT, EXIT_PVH, multiboot_kernel, pvh_kernel

BOARDS = [b for b in ("q35", "pc") if b in registry().boards]
TIMEOUT = 60


@pytest.fixture(scope="module", params=BOARDS)
def board_rom(request, tmp_path_factory):
    """(machine, ROM with every loader) for each board that exists."""
    out = tmp_path_factory.mktemp("rom") / "all.bin"
    return request.param, build(out, "--board", request.param, "--loader", "linux",
                                "--loader", "multiboot", "--loader", "pvh")


def exit_status(code):
    return (code << 1) | 1


def test_multiboot_kernel_receives_every_field(board_rom, tmp_path):
    machine, rom = board_rom
    kernel = tmp_path / "mbkernel"
    kernel.write_bytes(multiboot_kernel())
    mods = [bytes(range(256)) * 10, b"the second module"]
    for i, data in enumerate(mods):
        (tmp_path / f"mod{i}").write_bytes(data)
    r = boot(rom, kernel=kernel, machine=machine, memory="256M", append="hello world",
             initrd=f"{tmp_path}/mod0 arg=one,{tmp_path}/mod1", timeout=TIMEOUT)
    assert r.returncode == exit_status(EXIT_MULTIBOOT), r.describe()
    report = dict(re.findall(r"(\w+)=(\S+)", r.serial.split("MB-REPORT")[1].splitlines()[0]))
    flags = int(report["flags"], 16)
    assert flags & 0x4D == 0x4D                       # memory, cmdline, modules, mmap
    assert r.serial.split("cmdline=", 1)[1].splitlines()[0] == f"{kernel} hello world"
    assert "MB-LOADER qemu" in r.serial
    # modules: where QEMU put them, their contents intact, their command lines
    got = re.findall(r"MB-MOD start=(\w+) end=(\w+) sum=(\w+) cmdline=(.*)", r.serial)
    assert [(int(e, 16) - int(s, 16), int(sm, 16), c) for s, e, sm, c in got] == [
        (len(mods[0]), sum(mods[0]), f"{tmp_path}/mod0 arg=one"),
        (len(mods[1]), sum(mods[1]), f"{tmp_path}/mod1")]
    # memory map: 20-byte entries, sorted, none empty, and the memory fields agree with it
    mmap = [(int(size, 16), int(base, 16), int(length, 16), int(kind, 16)) for size, base, length, kind
            in re.findall(r"MB-MMAP size=(\w+) base=(\w+) len=(\w+) type=(\w+)", r.serial)]
    assert int(report["mmap_length"], 16) == 24 * len(mmap) and len(mmap) >= 4
    assert all(size == 20 and length > 0 for size, _, length, _ in mmap)
    assert [m[1] for m in mmap] == sorted(m[1] for m in mmap)
    ram = {base: length for _, base, length, kind in mmap if kind == 1}
    assert int(report["mem_lower"], 16) == ram[0] // 1024 == 636
    assert int(report["mem_upper"], 16) == ram[0x100000] // 1024
    assert 250 << 20 < sum(ram.values()) <= 256 << 20


def test_pvh_stub_gets_a_start_info(board_rom, tmp_path):
    machine, rom = board_rom
    kernel = tmp_path / "pvh.elf"
    kernel.write_bytes(pvh_kernel())
    (tmp_path / "initrd").write_bytes(b"x" * 5000)
    r = boot(rom, kernel=kernel, initrd=tmp_path / "initrd", append="pvh arguments",
             machine=machine, memory="256M", timeout=TIMEOUT)
    assert r.returncode == exit_status(EXIT_PVH), r.describe()
    report = dict(re.findall(r"(\w+)=(\S+)", r.serial.split("PVH-REPORT")[1].splitlines()[0]))
    assert int(report["version"], 16) == 1 and int(report["nr_modules"], 16) == 1
    assert int(report["rsdp"], 16) != 0 and int(report["memmap_entries"], 16) >= 4
    assert r.serial.split("cmdline=", 1)[1].splitlines()[0] == "pvh arguments"


def test_real_vmlinux_boots_through_pvh(board_rom, guest):
    machine, rom = board_rom
    r = boot(rom, kernel=guest / "vmlinux", initrd=guest / "initrd.cpio.gz", machine=machine,
             smp=2, memory="512M", timeout=TIMEOUT)
    assert r.report is not None and r.done, r.describe()
    assert r.report["cpus"] == 2 and 400 << 10 <= r.report["memtotal_kb"] <= 512 << 10
    assert "FACP" in r.report["acpi"] and r.report["dmi_vendor"] == "QEMU"


def test_real_bzimage_boots_through_the_64bit_entry(tmp_path, guest):
    rom = build(tmp_path / "b64.bin", "--loader", "linux", "--option", "linux.entry=64")
    r = boot(rom, kernel=guest / "vmlinuz", initrd=guest / "initrd.cpio.gz", smp=2,
             timeout=TIMEOUT)
    assert r.report is not None and r.done, r.describe()
    assert r.report["cpus"] == 2 and "MCFG" in r.report["acpi"]


def test_a_kernel_without_a_loader_is_named(tmp_path):
    rom = build(tmp_path / "linux-only.bin", "--loader", "linux")
    kernel = tmp_path / "mbkernel"
    kernel.write_bytes(multiboot_kernel())
    r = boot(rom, kernel=kernel, timeout=10)
    expected = "no loader for a multiboot kernel (loader: multiboot); ROM has: linux"
    assert expected in r.serial and expected in r.debugcon, r.describe()


def test_real_bzimage_boots_through_its_real_mode_setup(tmp_path, guest):
    """The kernel's own setup code runs and sizes memory with INT 15h E820 (bios16)."""
    rom = build(tmp_path / "real.bin", "--loader", "linux", "--plugin", "bios16",
                "--option", "linux.entry=real")
    r = boot(rom, kernel=guest / "vmlinuz", initrd=guest / "initrd.cpio.gz", smp=2,
             timeout=TIMEOUT)
    assert r.report is not None and r.done, r.describe()
    assert r.report["cpus"] == 2 and "FACP" in r.report["acpi"]
    # the map the setup code got from INT 15h is the firmware's own
    assert "BIOS-e820: [mem 0x00000000000f0000-0x00000000000fffff] reserved" in r.serial
