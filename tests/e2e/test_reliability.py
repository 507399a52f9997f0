"""Reliability end to end, under TCG (issue 16 items 4 and 8, issue 11 item 1;
docs/reliability.md): kernels the firmware must refuse say why on the serial port instead
of hanging; iPXE's ipxe.lkrn (code32_start 0) runs its real-mode setup when the ROM has
bios16; and the F-segment is read-only to a real guest on pc and q35."""

import subprocess
import time
from pathlib import Path

import pytest

from qbootcore import stubkernel
from tests.qemu import QEMU, boot, build
from tests.stubs import LIB, LOAD, assemble

pytestmark = pytest.mark.e2e
IPXE = Path("/usr/lib/ipxe/ipxe.lkrn")
TIMEOUT = 60


@pytest.fixture(scope="module")
def roms(tmp_path_factory):
    """(board, extra plugins) -> ROM, each built once."""
    built = {}

    def get(board, *plugins):
        key = (board, plugins)
        if key not in built:
            out = tmp_path_factory.mktemp("rom") / "bios.bin"
            built[key] = build(out, "--board", board,
                               *[a for p in plugins for a in ("--plugin", p)])
        return built[key]
    return get


def run_until(cmd, serial: Path, text: str, timeout: float) -> str:
    """Run QEMU until ``text`` appears on the serial log (then stop it) or the timeout."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if serial.exists() and text in serial.read_bytes().decode(errors="replace"):
                break
            time.sleep(0.2)
    finally:
        proc.kill()
        proc.wait()
    return serial.read_bytes().decode(errors="replace") if serial.exists() else ""


def panic_or_text(rom, kernel, tmp_path, expect, machine="q35", extra=()):
    """The serial output of booting ``kernel``, up to ``expect`` or the timeout (a ROM
    that panics halts: there is no exit to wait for)."""
    serial = tmp_path / "serial.log"
    cmd = [QEMU, "-accel", "tcg", "-M", machine, "-bios", str(rom), "-m", "256M",
           "-display", "none", "-no-reboot", "-monitor", "none", "-net", "none",
           "-serial", f"file:{serial}", "-kernel", str(kernel), *extra]
    return run_until(cmd, serial, expect, TIMEOUT)


@pytest.mark.skipif(not IPXE.exists(), reason="Debian's ipxe package is not installed")
@pytest.mark.parametrize("plugins,expect", [
    (("bios16",), "Open Source Network Boot Firmware"),       # its banner
    ((), "qboot-fw: panic: linux: kernel has no 32-bit entry (code32_start 0, protocol < 2.02 "
         "or a zImage); it needs real mode: build with --plugin bios16"),
])
def test_ipxe_lkrn_starts_in_real_mode_or_is_refused(roms, tmp_path, plugins, expect):
    out = panic_or_text(roms("q35", *plugins), IPXE, tmp_path, expect)
    assert expect in out, out[-2000:]


FSEG_PROBE = r"""
start:
    mov esp, 0x90000
    mov edi, 0xF0000
    call try_write
    mov ebx, eax
    mov edi, 0xFE000
    call try_write
    shl eax, 1
    or ebx, eax
    mov edi, 0x80000            ; ordinary RAM: the probe itself must see this write kept
    call try_write
    shl eax, 2
    or ebx, eax
    mov esi, s_probe
    call puts
    mov eax, ebx
    mov esi, s_kept
    call field
    mov esi, s_newline
    call puts
    mov al, bl
    or al, 0x40
    jmp exit
; try_write: write the complement of the byte at EDI, read it back, restore it.
; Out: EAX = 1 when the write was kept, 0 when it was discarded.  Clobbers: ECX, EDX.
try_write:
    mov cl, [edi]
    mov dl, cl
    not dl
    mov [edi], dl
    mov dl, [edi]
    mov [edi], cl
    xor eax, eax
    cmp dl, cl
    setne al
    ret
s_probe:
    .asciz "FSEG-PROBE"
s_kept:
    .asciz " kept="
s_newline:
    .asciz "\n"
"""


def fseg_probe_bzimage(path: Path) -> Path:
    """The stub bzImage with our code at its 32-bit entry: it writes to 0xF0000 (table
    space) and 0xFE000 (the ROM's 16-bit code) after boot, and to 0x80000 (RAM) as a
    control, and exits through isa-debug-exit with 0x40 | the writes that were kept (bit 0:
    0xF0000, bit 1: 0xFE000, bit 2: 0x80000)."""
    code = assemble(FSEG_PROBE + LIB, LOAD)
    image = bytearray(stubkernel.stub_bzimage(stubkernel.MIN_SIZE))
    assert len(code) < stubkernel.LONG_ENTRY
    image[stubkernel.SETUP_SIZE:stubkernel.SETUP_SIZE + len(code)] = code
    path.write_bytes(image)
    return path


@pytest.mark.parametrize("board", ["pc", "q35"])
def test_the_f_segment_is_read_only_to_the_guest(roms, tmp_path, board):
    kernel = fseg_probe_bzimage(tmp_path / "fseg-probe")
    r = boot(roms(board), kernel=kernel, machine=board, memory="128M", timeout=TIMEOUT)
    # only the control write to RAM was kept
    assert "FSEG-PROBE kept=00000004" in r.serial, r.describe()
    assert r.returncode == (0x44 << 1) | 1, r.describe()


@pytest.fixture(scope="module")
def debian_kernel():
    from tests.qemu import guest_dir
    return guest_dir() / "vmlinuz"


def test_a_truncated_bzimage_says_so(roms, tmp_path, debian_kernel):
    """Issue 16: the header says 14 MB, the file has 44 KiB."""
    cut = tmp_path / "vmlinuz-cut"
    cut.write_bytes(debian_kernel.read_bytes()[:44 * 1024])
    expect = "qboot-fw: panic: linux: truncated bzImage (syssize): copy it again"
    out = panic_or_text(roms("q35"), cut, tmp_path, expect)
    assert expect in out, out[-2000:]


def test_a_64bit_kernel_on_a_32bit_cpu_says_so(roms, tmp_path, debian_kernel):
    expect = "qboot-fw: panic: linux: 64-bit kernel, CPU without long mode: use -cpu max"
    out = panic_or_text(roms("q35"), debian_kernel, tmp_path, expect, extra=("-cpu", "qemu32"))
    assert expect in out, out[-2000:]


def test_random_bytes_as_a_kernel_say_what_is_wrong_with_the_kernel(roms, tmp_path):
    """Issue 16 item 5: QEMU prepares random bytes as a bzImage; the ROM has the linux
    loader, so the message is about the kernel, not a rebuild."""
    junk = tmp_path / "junk"
    junk.write_bytes(bytes((i * 131 + 7) % 251 for i in range(200_000)))
    expect = "qboot-fw: panic: linux: not a bzImage (no HdrS header)"
    out = panic_or_text(roms("q35"), junk, tmp_path, expect)
    assert expect in out and "Rebuild" not in out, out[-2000:]
