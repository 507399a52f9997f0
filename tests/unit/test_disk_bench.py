"""``qboot-fw bench --disk``'s parts that need no QEMU: the boot-sector stub copy, the
command line, bad input (qbootcore.diskbench)."""

from pathlib import Path

from typer.testing import CliRunner

from qbootcore import diskbench, stubkernel
from qbootcore.cli import app


def test_the_stub_copy_exits_at_the_first_instruction_and_keeps_the_rest(tmp_path):
    image = tmp_path / "disk.img"
    data = bytearray(range(256)) * 8
    data[510:512] = b"\x55\xaa"
    image.write_bytes(bytes(data))
    copy = diskbench.boot_sector_copy(image, tmp_path / "copy.img").read_bytes()
    stub = stubkernel.exit_stub(diskbench.BOOT_SECTOR_EXIT)
    assert copy[:len(stub)] == stub and copy[len(stub):] == bytes(data[len(stub):])
    assert image.read_bytes() == bytes(data)


def test_the_disk_command_has_no_kernel_and_a_read_only_drive():
    cmd = diskbench.disk_command("q35", "tcg", Path("bios.bin"), Path("d.img"), "virtio")
    assert "-kernel" not in cmd and "-append" not in cmd
    assert cmd[-2:] == ["-drive", "if=virtio,format=raw,snapshot=on,file=d.img"]


def test_a_missing_image_is_one_line_and_exit_2(tmp_path):
    r = CliRunner().invoke(app, ["bench", "--disk", str(tmp_path / "none.img")])
    assert r.exit_code == 2 and "none.img not found" in r.output
