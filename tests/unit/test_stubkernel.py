"""The stub bzImage of qboot-fw bench: a boot protocol 2.15 header QEMU accepts, three entry
points with distinct isa-debug-exit codes, deterministic padding to the requested size."""

import struct
import zlib

import capstone
import pytest

from qbootcore import stubkernel as sk
from tests.qemu import REPO

SIZE = 256 * 1024  # small and fast; the layout does not depend on the size


@pytest.fixture(scope="module")
def image():
    return sk.stub_bzimage(SIZE)


def decode(code: bytes, mode) -> list[str]:
    md = capstone.Cs(capstone.CS_ARCH_X86, mode)
    return [f"{i.mnemonic} {i.op_str}".strip() for i in md.disasm(code, 0)]


def test_size_and_determinism(image):
    assert len(image) == SIZE
    assert sk.stub_bzimage(SIZE) == image
    assert sk.DEFAULT_SIZE == 14 * 1024 * 1024


def test_too_small_is_refused():
    with pytest.raises(ValueError, match="at least"):
        sk.stub_bzimage(sk.MIN_SIZE - 1)


def test_header_is_a_relocatable_64_bit_bzimage(image):
    h = sk.parse_header(image)
    assert h["header"] == b"HdrS" and h["version"] == 0x020F and h["boot_flag"] == 0xAA55
    assert h["loadflags"] & sk.LOADED_HIGH
    assert h["xloadflags"] & sk.XLF_KERNEL_64
    assert h["code32_start"] == 0x100000
    setup = (h["setup_sects"] + 1) * 512  # QEMU and boot loaders compute it so
    assert setup == sk.SETUP_SIZE
    pm_size = SIZE - setup
    assert h["syssize"] * 16 >= pm_size > (h["syssize"] - 1) * 16
    align = h["kernel_alignment"]
    assert h["relocatable_kernel"] == 1 and align & (align - 1) == 0
    assert 1 << h["min_alignment"] <= align and h["pref_address"] % align == 0
    assert h["init_size"] >= pm_size
    assert h["cmdline_size"] > 0 and h["initrd_addr_max"] > 0
    version = image[0x200 + h["kernel_version"]:].split(b"\0")[0]
    assert version.startswith(b"qboot-fw stub")


def test_kernel_info_is_found_from_the_protected_mode_part(image):
    off = sk.SETUP_SIZE + sk.parse_header(image)["kernel_info_offset"]
    magic, size, total, _ = struct.unpack_from("<4sIII", image, off)
    assert magic == b"LToP" and size == total == 16


def test_each_entry_exits_with_its_own_code(image):
    assert image[0x200] == 0xEB  # jmp short over the header
    real = 0x202 + image[0x201]
    pm = sk.SETUP_SIZE
    entries = [(real, capstone.CS_MODE_16, sk.REAL_MODE_EXIT),
               (pm, capstone.CS_MODE_32, sk.PROTECTED_MODE_EXIT),
               (pm + 0x200, capstone.CS_MODE_64, sk.LONG_MODE_EXIT)]
    for off, mode, code in entries:
        insns = decode(image[off:off + 64], mode)
        assert insns[0] == "rdtsc"   # the first instruction: the count is the firmware's
        # the TSC goes to the debug console, 8 bytes, then the exit code to isa-debug-exit
        assert insns.count("out dx, al") == sk.TSC_BYTES and "mov dx, 0x402" in insns
        exit_at = insns.index(f"mov al, {code:#x}")
        assert insns[exit_at + 1] == "out 0xf4, al"
    codes = [code for _, _, code in entries]
    assert len(set(codes)) == 3 and all(0 < c < 0x80 for c in codes)


def test_exit_status_names_the_entry():
    assert sk.entry_for_status((sk.REAL_MODE_EXIT << 1) | 1) == "real-mode"
    assert sk.entry_for_status((sk.PROTECTED_MODE_EXIT << 1) | 1) == "32-bit"
    assert sk.entry_for_status((sk.LONG_MODE_EXIT << 1) | 1) == "64-bit"
    assert sk.entry_for_status(0) is None and sk.entry_for_status(None) is None
    assert sk.entry_for_status(1) is None


def test_padding_does_not_compress():
    data = sk.padding(1 << 20)
    assert len(zlib.compress(data, 9)) > 0.99 * len(data)


def test_write(tmp_path):
    path = sk.write_stub_bzimage(tmp_path / "bzImage", SIZE)
    assert path.read_bytes() == sk.stub_bzimage(SIZE)


def test_same_reading_of_a_distribution_kernel():
    """The field table reads the Debian kernel of the test guest as boot loaders do."""
    vmlinuz = REPO / "tests" / "guest" / "cache" / "vmlinuz"
    if not vmlinuz.is_file():
        pytest.skip("test guest not built (tests/guest/build.sh)")
    data = vmlinuz.read_bytes()
    h = sk.parse_header(data)
    assert h["header"] == b"HdrS" and h["version"] >= 0x020F
    assert h["xloadflags"] & sk.XLF_KERNEL_64 and h["loadflags"] & sk.LOADED_HIGH
    info = (h["setup_sects"] + 1) * 512 + h["kernel_info_offset"]
    assert data[info:info + 4] == b"LToP"


def test_instructions_are_the_last_eight_bytes():
    assert sk.instructions(b"noise" + (65217).to_bytes(8, "little")) == 65217
    assert sk.instructions(b"1234567") is None
