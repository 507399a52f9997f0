"""End-to-end, under TCG: option ROMs (plugins/optionrom, docs/optionrom.md).

* -M pc with QEMU's default VGA: the VGA BIOS runs, Linux's real-mode setup finds it through
  INT 10h and its console on tty0 draws text: a screendump taken through the QEMU monitor
  is not blank, and the VGA text buffer holds the kernel's messages;
* device ROMs with a bad checksum or another vendor's ID are skipped with a warning, and the
  boot goes on.
"""

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.qemu import QEMU, boot

TIMEOUT = 120
IPXE = Path("/usr/lib/ipxe/qemu")
VGA_TEXT = 0xB8000          # colour text mode buffer (32 KiB: vgacon scrolls inside it)
VGA_TEXT_SIZE = 0x8000


def build(out, *args):
    r = subprocess.run([sys.executable, "-m", "qbootcore.cli", "build", *args, "-o", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


class Monitor:
    """QEMU's human monitor on a UNIX socket: one command, its output."""

    def __init__(self, path: Path):
        self.sock = socket.socket(socket.AF_UNIX)
        for _ in range(100):
            try:
                self.sock.connect(str(path))
                break
            except OSError:
                time.sleep(0.1)
        self._until_prompt()

    def _until_prompt(self) -> str:
        data = b""
        self.sock.settimeout(30)
        while not data.endswith(b"(qemu) "):
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data.decode(errors="replace")

    def command(self, line: str) -> str:
        self.sock.sendall(line.encode() + b"\n")
        return self._until_prompt()


def boot_and_look(rom, guest, tmp: Path, extra=(), machine="pc"):
    """Boot the test guest with its console on tty0 and ttyS0 (ttyS0 last: /init reports
    there); when it is done (the VM stays, -no-shutdown) take a screendump and the VGA text
    buffer.  Returns (serial, debugcon, ppm bytes, text buffer bytes)."""
    serial, debugcon, mon = tmp / "serial.log", tmp / "debugcon.log", tmp / "mon.sock"
    cmd = [QEMU, "-accel", "tcg", "-M", machine, "-m", "512M", "-bios", str(rom),
           "-display", "none", "-no-reboot", "-no-shutdown",
           "-serial", f"file:{serial}", "-debugcon", f"file:{debugcon}",
           "-global", "isa-debugcon.iobase=0x402",
           "-monitor", f"unix:{mon},server,nowait",
           "-kernel", str(guest / "vmlinuz"), "-initrd", str(guest / "initrd.cpio.gz"),
           "-append", "console=tty0 console=ttyS0", *map(str, extra)]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        monitor = Monitor(mon)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            if serial.exists() and b"QBOOT-DONE" in serial.read_bytes():
                break
            time.sleep(0.5)
        time.sleep(1)   # the console's last lines
        ppm, text = tmp / "screen.ppm", tmp / "text.bin"
        monitor.command(f'screendump "{ppm}"')
        monitor.command(f'pmemsave {VGA_TEXT:#x} {VGA_TEXT_SIZE:#x} "{text}"')
        monitor.command("quit")
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    read = lambda p: p.read_bytes() if p.exists() else b""  # noqa: E731
    return (read(serial).decode(errors="replace"), read(debugcon).decode(errors="replace"),
            read(tmp / "screen.ppm"), read(tmp / "text.bin"))


def lit_pixels(ppm: bytes) -> int:
    """Pixels of a binary PPM (P6) screendump that are not black."""
    magic, size, maxval, pixels = ppm.split(b"\n", 3)
    assert magic == b"P6" and maxval == b"255", ppm[:20]
    return sum(1 for i in range(0, len(pixels), 3) if pixels[i:i + 3] != b"\0\0\0")


def text_of(buffer: bytes) -> str:
    """The characters of a VGA text buffer (character, attribute pairs)."""
    return bytes(buffer[0::2]).decode("ascii", errors="replace")


@pytest.fixture(scope="module")
def rom(tmp_path_factory):
    """pc board, Linux through its own real-mode setup (which asks INT 10h for the screen),
    and the option ROMs."""
    return build(tmp_path_factory.mktemp("rom") / "optionrom.bin", "--board", "pc",
                 "--loader", "linux", "--plugin", "optionrom", "--option", "linux.entry=real")


def test_vga_bios_gives_linux_a_console_on_the_screen(rom, guest, tmp_path):
    serial, debugcon, ppm, text = boot_and_look(rom, guest, tmp_path)
    assert "QBOOT-DONE" in serial, serial[-3000:] + debugcon[-2000:]
    assert "Start SeaVGABIOS" in debugcon          # QEMU's VGA BIOS ran
    assert "qboot-fw: warning" not in debugcon, debugcon
    # the screen: 720x400 text mode with the kernel's console on it
    assert ppm.split(b"\n", 2)[1] == b"720 400", ppm[:20]
    assert lit_pixels(ppm) > 10_000
    screen = text_of(text)
    assert "Linux version" in screen or "Run /init" in screen, screen
    # iPXE (the default e1000's ROM) printed its banner through INT 10h, which reached
    # COM1 too (on the screen the kernel has scrolled it away)
    assert "Press Ctrl-B to configure iPXE" in serial


def test_roms_with_bad_checksum_or_wrong_ids_are_skipped(rom, guest, tmp_path):
    good = (IPXE / "pxe-e1000.rom").read_bytes()
    bad_sum = bytearray(good)
    bad_sum[0x40] ^= 0xFF                 # inside the image: the bytes no longer sum to 0
    (tmp_path / "badsum.rom").write_bytes(bad_sum)
    serial, debugcon, ppm, text = boot_and_look(rom, guest, tmp_path, extra=(
        "-net", "none",
        "-device", f"e1000,romfile={tmp_path / 'badsum.rom'}",
        # the e1000's ROM names 8086:100e; a virtio-net is 1af4:1000
        "-device", f"virtio-net-pci,romfile={IPXE / 'pxe-e1000.rom'}"))
    assert "QBOOT-DONE" in serial, serial[-3000:] + debugcon[-2000:]
    assert "optionrom: an option ROM's checksum is wrong; skipped" in debugcon, debugcon
    assert "optionrom: a device's ROM names another vendor/device ID" in debugcon, debugcon
    assert "iPXE" not in serial            # neither ran
    assert "Start SeaVGABIOS" in debugcon  # the VGA BIOS did


@pytest.fixture(scope="module")
def tftp(guest, tmp_path_factory):
    """A TFTP directory for QEMU's user-net: the test kernel, its initrd and an iPXE script
    that boots them."""
    root = tmp_path_factory.mktemp("tftp")
    for name in ("vmlinuz", "initrd.cpio.gz"):
        (root / name).symlink_to(guest / name)
    (root / "boot.ipxe").write_text("#!ipxe\nkernel vmlinuz console=ttyS0\n"
                                    "initrd initrd.cpio.gz\nboot\n")
    return root


BRIDGE = ("-device", "pci-bridge,id=b1,chassis_nr=1")


@pytest.mark.parametrize("machine, nic, how, extra", [
    ("pc", "e1000", ("-boot", "n"), ()),
    ("q35", "virtio-net-pci", ",bootindex=1", ()),
    # behind a bridge: iPXE scans the buses up to the PCI BIOS's last bus (INT 1Ah B101h)
    ("pc", "e1000,bus=b1,addr=1", ",bootindex=1", BRIDGE)])
def test_network_boot_through_the_nic_rom(machine, nic, how, extra, tftp, tmp_path):
    """Without -kernel, with -boot n or the NIC first in the bootindex order: the NIC's iPXE
    ROM (QEMU's, ipxe-qemu) gets DHCP from user-net, runs the script from TFTP and boots the
    test kernel."""
    rom = build(tmp_path / "net.bin", "--board", machine, "--loader", "linux",
                "--loader", "netboot")
    device = f"{nic},netdev=n0" + (how if isinstance(how, str) else "")
    r = boot(rom, machine=machine, kernel=None, timeout=TIMEOUT, extra=(
        *extra, *(how if isinstance(how, tuple) else ()),
        "-netdev", f"user,id=n0,tftp={tftp},bootfile=boot.ipxe", "-device", device))
    assert r.done, r.describe()
    assert "tftp://10.0.2.2/boot.ipxe... ok" in r.serial
    assert r.report["dmi_vendor"] == "QEMU"


def test_network_boot_asked_without_a_rom_says_so(tmp_path):
    rom = build(tmp_path / "net.bin", "--board", "pc", "--loader", "linux", "--loader", "netboot")
    r = boot(rom, machine="pc", kernel=None, timeout=30, extra=("-boot", "n", "-net", "none"))
    assert "netboot: -boot n asks for network boot, but no NIC has an option ROM" in r.debugcon
    # then the ROM says it has nothing to boot (the core's kernel_check)
    assert "panic" in r.debugcon, r.describe()


def test_boot_order_nc_goes_on_to_the_disk_when_the_network_finds_nothing(grub_image, tmp_path):
    """-boot order=nc: the NIC's iPXE first, which gets DHCP from user-net but no boot file
    (no tftp=) and returns from its BEV; then the GRUB disk boots the test kernel."""
    rom = build(tmp_path / "nc.bin", "--board", "pc", "--loader", "linux",
                "--loader", "netboot", "--loader", "disk")
    r = boot(rom, machine="pc", kernel=None, timeout=TIMEOUT * 2, extra=(
        "-boot", "order=nc", "-netdev", "user,id=n0", "-device", "e1000,netdev=n0",
        "-drive", f"if=virtio,format=raw,file={grub_image}"))
    assert r.done and r.report, r.describe()
    assert "iPXE" in r.serial                                  # the network came first
    assert "netboot: every NIC's boot entry returned" in r.debugcon
    assert "grub: booting the test kernel" in r.serial
