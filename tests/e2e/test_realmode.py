"""End-to-end, under TCG: real programs that expect a PC BIOS in real mode, on the general
recipe (bios16): iPXE network-boots the test kernel over QEMU's user-mode TFTP on q35 and
pc, SYSLINUX's MEMDISK (default mode) boots the GRUB disk image whose GRUB boots the test
kernel, a multiboot kernel linked at 0x8000 goes back to real mode and uses the BIOS (and
its UD2 panics), and iPXE takes commands typed on COM1, then with nothing to boot ends in
the INT 18h panic instead of a hang.

The general recipe enters Linux-format kernels in real mode (ipxe.lkrn has no 32-bit entry;
memdisk advertises one it cannot be started at); the ROM is built from it as it is."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.qemu import REPO, boot
from tests.stubs import EXIT_REALMODE, realmode_multiboot_kernel

IPXE = Path("/usr/lib/ipxe/ipxe.lkrn")          # Debian: ipxe
MEMDISK = Path("/usr/lib/syslinux/memdisk")     # Debian: syslinux-common
TIMEOUT = 180


def needs(path):
    if not path.is_file():
        pytest.fail(f"{path} is missing: run scripts/setup.sh (it installs ipxe, syslinux-common)")
    return path


@pytest.fixture(scope="module")
def rom(tmp_path_factory):
    out = tmp_path_factory.mktemp("rom") / "general.bin"
    r = subprocess.run([sys.executable, "-m", "qbootcore.cli", "build", "--recipe",
                        str(REPO / "recipes" / "general.toml"), "-o", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


def assert_booted(r, *marks):
    assert r.report is not None and r.done and r.returncode == 0, r.describe()
    for mark in marks:
        assert mark in r.serial, r.describe()
    assert "panic" not in r.debugcon, r.describe()


@pytest.mark.parametrize("machine", ["q35", "pc"])
def test_ipxe_network_boots_the_test_kernel(rom, guest, machine, tmp_path):
    tftp = tmp_path / "tftp"
    tftp.mkdir()
    (tftp / "vmlinuz").symlink_to(guest / "vmlinuz")
    (tftp / "initrd.cpio.gz").symlink_to(guest / "initrd.cpio.gz")
    (tftp / "boot.ipxe").write_text("#!ipxe\nkernel vmlinuz console=ttyS0 panic=-1\n"
                                    "initrd initrd.cpio.gz\nboot\n")
    r = boot(rom, kernel=needs(IPXE), append=None, machine=machine, timeout=TIMEOUT,
             extra=["-netdev", f"user,id=n0,tftp={tftp},bootfile=boot.ipxe",
                    "-device", "virtio-net-pci,netdev=n0"])
    # DHCP and TFTP need the PCI BIOS in real mode and a ticking timer (their timeouts)
    assert_booted(r, "using virtio-net on", "Filename: boot.ipxe", "initrd.cpio.gz... ok")


def test_ipxe_prompt_over_serial_then_nothing_to_boot_ends_in_a_panic(rom):
    """Keys typed on COM1 reach iPXE through INT 16h (Ctrl-B, a command, exit); leaving its
    shell, iPXE (without a NIC) gives up with INT 18h, which panics instead of running into
    the IVT."""
    r = boot(rom, kernel=needs(IPXE), append=None, machine="pc", extra=["-nic", "none"],
             serial_input=b"\x02echo QBOOT-TYPED-${platform}\rexit\r",
             timeout=60, stop_on="panic:")    # the panic line ends the run (the VGA BIOS
                                               # of the general ROM logs lines there first)
    assert "iPXE> echo QBOOT-TYPED" in r.serial and "QBOOT-TYPED-pcbios" in r.serial, \
        r.describe()
    assert "panic: real-mode INT 18h at " in r.debugcon, r.describe()
    assert "found nothing (more) to boot" in r.debugcon, r.describe()


def test_memdisk_boots_grub_which_boots_the_test_kernel(rom, grub_image):
    r = boot(rom, kernel=needs(MEMDISK), initrd=grub_image, append="", machine="q35",
             timeout=TIMEOUT)
    # MEMDISK's INT 13h reads the image with INT 15h AH=87h (default mode, not "raw")
    assert_booted(r, "MEMDISK", "grub: booting the test kernel")


@pytest.fixture(scope="module")
def multiboot_rom(tmp_path_factory):
    out = tmp_path_factory.mktemp("rom") / "mb.bin"
    r = subprocess.run([sys.executable, "-m", "qbootcore.cli", "build", "--board", "q35",
                        "--loader", "multiboot", "--plugin", "bios16", "-o", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


def test_realmode_multiboot_kernel_linked_at_0x8000(multiboot_rom, tmp_path):
    kernel = tmp_path / "rmmb"
    kernel.write_bytes(realmode_multiboot_kernel())
    r = boot(multiboot_rom, kernel=kernel, machine="q35", memory="256M", timeout=60)
    assert r.returncode == (EXIT_REALMODE << 1) | 1, r.describe()
    assert "image-intact" in r.serial and "RMMB-DONE" in r.serial, r.describe()
    mbi = int(r.serial.split("mbi=")[1][:8], 16)
    assert not 0x8000 <= mbi < 0xA200
    assert "int12=027C" in r.serial                             # 636 KiB below the EBDA
    assert int(r.serial.split("e820=")[1][:4], 16) >= 5, r.describe()


def test_realmode_exception_panics_with_vector_and_cs_ip(multiboot_rom, tmp_path):
    """The kernel above ending with UD2 in real mode: the IVT's vector 06h panics, naming
    where, instead of returning to the faulting instruction forever."""
    kernel = tmp_path / "rmmb"
    kernel.write_bytes(realmode_multiboot_kernel(fault=True))
    r = boot(multiboot_rom, kernel=kernel, machine="q35", memory="256M", timeout=60,
             stop_on="\n")
    assert "RMMB-DONE" in r.serial, r.describe()
    assert re.search(r"panic: real-mode INT 06h at 0000:8[0-9A-F]{3}: a CPU exception",
                     r.debugcon), r.describe()
