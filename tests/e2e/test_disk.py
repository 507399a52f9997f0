"""End-to-end, under TCG: disk boot without -kernel (plugins/disk, docs/disk.md).  A GRUB
i386-pc disk (tests/grubdisk.py) boots the test kernel to its /init through INT 13h on
virtio-blk, on q35's AHCI and on pc's IDE; bootindex picks the second of two disks; a disk without a boot signature gives
the message that says what was tried."""

import subprocess
import sys

import pytest

from tests.grubdisk import make_grub_disk
from tests.qemu import boot

TIMEOUT = 240
NO_SIGNATURE = "virtio-blk 00:{slot:02x}.0 (no boot signature 55AAh in sector 0)"


def build(out, board):
    r = subprocess.run([sys.executable, "-m", "qbootcore.cli", "build", "--board", board,
                        "--loader", "linux", "--loader", "disk", "-o", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def rom(tmp_path_factory):
    return build(tmp_path_factory.mktemp("rom") / "disk.bin", "q35")


@pytest.fixture(scope="module")
def grub_disk(guest, tmp_path_factory):
    out = tmp_path_factory.mktemp("grub") / "grub.img"
    return make_grub_disk(out, guest / "vmlinuz", guest / "initrd.cpio.gz")


@pytest.fixture(scope="module")
def hello_disk(tmp_path_factory):
    """A boot sector that prints BOOTSECTOR-RAN through INT 10h and exits QEMU."""
    code = b"\xb4\x0e"                                    # mov ah, 0Eh
    for c in b"BOOTSECTOR-RAN\r\n":
        code += bytes([0xB0, c, 0xCD, 0x10])              # mov al, c; int 10h
    code += b"\xb0\x01\xe6\xf4\xf4\xeb\xfd"                # isa-debug-exit; hlt; jmp hlt
    sector = code.ljust(510, b"\0") + b"\x55\xaa"
    out = tmp_path_factory.mktemp("hello") / "hello.img"
    out.write_bytes(sector.ljust(1 << 20, b"\0"))
    return out


@pytest.fixture(scope="module")
def blank_disk(tmp_path_factory):
    out = tmp_path_factory.mktemp("blank") / "blank.img"
    out.write_bytes(bytes(1 << 20))
    return out


def virtio(image, slot, bootindex=None):
    device = f"virtio-blk-pci,drive=d{slot},addr={slot:#x}"
    if bootindex is not None:
        device += f",bootindex={bootindex}"
    return ["-drive", f"if=none,id=d{slot},format=raw,file={image}", "-device", device]


def test_grub_boots_linux_from_virtio_blk(rom, grub_disk):
    r = boot(rom, extra=["-drive", f"if=virtio,format=raw,file={grub_disk}"], timeout=TIMEOUT)
    assert r.done and r.report, r.describe()
    assert "GRUB-LOADING" in r.serial and "panic" not in r.debugcon


def test_grub_boots_linux_from_ahci_on_q35(rom, grub_disk):
    """q35's -hda / -drive if=ide is a disk on the ICH9 AHCI controller."""
    r = boot(rom, extra=["-drive", f"if=ide,format=raw,file={grub_disk}"], timeout=TIMEOUT)
    assert r.done and r.report, r.describe()


def test_grub_boots_linux_from_ide_on_pc(tmp_path, grub_disk):
    """pc's -hda is the primary master of the PIIX3 IDE controller."""
    rom = build(tmp_path / "pc.bin", "pc")
    r = boot(rom, machine="pc", extra=["-drive", f"if=ide,format=raw,file={grub_disk}"],
             timeout=TIMEOUT)
    assert r.done and r.report, r.describe()


def test_bootindex_picks_the_second_disk(rom, grub_disk, hello_disk):
    """In bus order the boot-sector disk would boot first; bootindex=1 on the GRUB disk
    (the second) makes it boot instead."""
    r = boot(rom, extra=[*virtio(hello_disk, 3, bootindex=2), *virtio(grub_disk, 4, bootindex=1)],
             timeout=TIMEOUT)
    assert r.done and r.report, r.describe()
    assert "BOOTSECTOR-RAN" not in r.serial


def test_without_bootindex_the_bus_order_decides(rom, grub_disk, hello_disk):
    r = boot(rom, extra=[*virtio(hello_disk, 3), *virtio(grub_disk, 4)], timeout=60)
    assert "BOOTSECTOR-RAN" in r.serial and "GRUB" not in r.serial, r.describe()


def test_kernel_still_wins(rom, guest, hello_disk):
    """With -kernel the disk is never read: Linux boots, the boot sector does not run."""
    r = boot(rom, kernel=guest / "vmlinuz", initrd=guest / "initrd.cpio.gz",
             extra=virtio(hello_disk, 3), timeout=TIMEOUT)
    assert r.done and "BOOTSECTOR-RAN" not in r.serial, r.describe()


def test_a_disk_without_boot_signature_says_what_was_tried(rom, blank_disk):
    r = boot(rom, extra=virtio(blank_disk, 5), timeout=15)   # it halts: no exit to wait for
    message = "no -kernel, and no disk boots; tried: " + NO_SIGNATURE.format(slot=5)
    assert message in r.serial and message in r.debugcon, r.describe()
