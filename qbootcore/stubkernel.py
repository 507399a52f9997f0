"""A stub Linux bzImage for measuring firmware: it tells which entry point it was entered at.

The image is a valid x86 boot protocol 2.15 bzImage (Linux Documentation/arch/x86/boot.rst)
that QEMU's ``-kernel`` loads like any distribution kernel.  Each of its three entry points
first reads the TSC and writes it to the debug console (port 0x402, ``-debugcon file:LOG
-global isa-debugcon.iobase=0x402``) as 8 bytes, little-endian: under ``-icount
shift=0,sleep=off`` that is the number of guest instructions executed from reset to kernel
entry (:func:`instructions`).  Then it writes its own code to QEMU's ``isa-debug-exit`` device
(``-device isa-debug-exit,iobase=0xf4,iosize=0x04``), which makes QEMU exit at once with
status ``(code << 1) | 1``:

=====================  ============================================  =======================
entry                  where (boot.rst section)                      code
=====================  ============================================  =======================
real mode              setup + 0x200, "Running the Kernel"           ``REAL_MODE_EXIT``
32-bit protected mode  code32_start, "32-bit Boot Protocol"          ``PROTECTED_MODE_EXIT``
64-bit long mode       code32_start + 0x200, "64-bit Boot Protocol"  ``LONG_MODE_EXIT``
=====================  ============================================  =======================

The rest of the protected-mode part is deterministic pseudo-random padding (SHAKE-128), so
that the image has the size of a distribution kernel (~14 MiB) and the firmware's copy of it
costs what it costs with a real kernel, whether or not anything compresses it on the way.
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

#: exit codes written to isa-debug-exit; mnemonic for the CPU mode of the entry
REAL_MODE_EXIT = 0x16
PROTECTED_MODE_EXIT = 0x32
LONG_MODE_EXIT = 0x64
ENTRY_NAMES = {REAL_MODE_EXIT: "real-mode", PROTECTED_MODE_EXIT: "32-bit",
               LONG_MODE_EXIT: "64-bit"}

DEBUG_EXIT_PORT = 0xF4
DEBUGCON_PORT = 0x402  # firmware/uart.inc DEBUGCON_PORT
TSC_BYTES = 8  # what each entry writes to the debug console before it exits
APPEND = "console=ttyS0"  # the command line every measuring run gives the stub
DEFAULT_SIZE = 14 * 1024 * 1024  # Debian 12's vmlinuz-6.1.0-*-cloud-amd64 is 13.5 MiB

SECTOR = 512
SETUP_SECTS = 1  # the boot sector plus one sector: room for the header and the real-mode stub
SETUP_SIZE = (SETUP_SECTS + 1) * SECTOR
REAL_ENTRY = 0x270  # setup offset of the real-mode stub, just past the 2.15 header
VERSION_STRING_AT = 0x2C0
LONG_ENTRY = 0x200  # protected-mode offset of startup_64 ("64-bit Boot Protocol")
KERNEL_INFO_AT = 0x240  # protected-mode offset of kernel_info ("The kernel_info")
PAD_FROM = 0x1000  # protected-mode offset where the padding starts
MIN_SIZE = SETUP_SIZE + PAD_FROM

LOADED_HIGH = 0x01
XLF_KERNEL_64 = 0x01
XLF_CAN_BE_LOADED_ABOVE_4G = 0x02
VERSION = b"qboot-fw stub kernel (boot protocol 2.15)\0"

#: "The Real-Mode Kernel Header": field -> (offset in the setup, struct format)
HEADER = {
    "setup_sects": (0x1F1, "B"), "root_flags": (0x1F2, "H"), "syssize": (0x1F4, "I"),
    "ram_size": (0x1F8, "H"), "vid_mode": (0x1FA, "H"), "root_dev": (0x1FC, "H"),
    "boot_flag": (0x1FE, "H"), "jump": (0x200, "H"), "header": (0x202, "4s"),
    "version": (0x206, "H"), "realmode_swtch": (0x208, "I"), "start_sys_seg": (0x20C, "H"),
    "kernel_version": (0x20E, "H"), "type_of_loader": (0x210, "B"), "loadflags": (0x211, "B"),
    "setup_move_size": (0x212, "H"), "code32_start": (0x214, "I"),
    "ramdisk_image": (0x218, "I"), "ramdisk_size": (0x21C, "I"),
    "bootsect_kludge": (0x220, "I"), "heap_end_ptr": (0x224, "H"),
    "ext_loader_ver": (0x226, "B"), "ext_loader_type": (0x227, "B"),
    "cmd_line_ptr": (0x228, "I"), "initrd_addr_max": (0x22C, "I"),
    "kernel_alignment": (0x230, "I"), "relocatable_kernel": (0x234, "B"),
    "min_alignment": (0x235, "B"), "xloadflags": (0x236, "H"), "cmdline_size": (0x238, "I"),
    "hardware_subarch": (0x23C, "I"), "hardware_subarch_data": (0x240, "Q"),
    "payload_offset": (0x248, "I"), "payload_length": (0x24C, "I"),
    "setup_data": (0x250, "Q"), "pref_address": (0x258, "Q"), "init_size": (0x260, "I"),
    "handover_offset": (0x264, "I"), "kernel_info_offset": (0x268, "I"),
}


def exit_stub(code: int) -> bytes:
    """``mov al, code; out 0xf4, al; cli; 1: hlt; jmp 1b`` -- these bytes decode to the
    same instructions in real, 32-bit and 64-bit mode, so one encoding serves every entry.
    The ``hlt`` loop is a backstop for a QEMU without isa-debug-exit."""
    return bytes([0xB0, code, 0xE6, DEBUG_EXIT_PORT, 0xFA, 0xF4, 0xEB, 0xFD])


def tsc_stub(bits: int) -> bytes:
    """``rdtsc`` as the first instruction of an entry, then EDX:EAX written to the debug
    console byte by byte, low byte first (``out dx, al`` and ``shr eax, 8``, four times for
    each half).  ``bits`` 16 for the real-mode entry; 32 and 64 share one encoding (no
    64-bit operand is used).  Clobbers EAX, ECX, EDX: the stub exits right after."""
    o32 = b"\x66" if bits == 16 else b""  # 32-bit operands in 16-bit code
    mov_dx = b"\xBA\x02\x04" if bits == 16 else b"\x66\xBA\x02\x04"  # mov dx, 0x402
    four_bytes = (b"\xEE" + o32 + b"\xC1\xE8\x08") * 4  # out dx, al; shr eax, 8
    return (b"\x0F\x31" + o32 + b"\x89\xD1" + mov_dx + four_bytes  # rdtsc; mov ecx, edx
            + o32 + b"\x89\xC8" + four_bytes)  # mov eax, ecx


def entry_stub(code: int, bits: int) -> bytes:
    """An entry point: :func:`tsc_stub`, then :func:`exit_stub`."""
    return tsc_stub(bits) + exit_stub(code)


def instructions(debugcon: bytes) -> int | None:
    """The TSC the stub wrote at its entry (the last ``TSC_BYTES`` of the debug console's
    output), or None when there are fewer bytes.  Under ``-icount shift=0,sleep=off`` it is
    the guest instructions executed from reset to the kernel's first instruction."""
    if len(debugcon) < TSC_BYTES:
        return None
    return int.from_bytes(debugcon[-TSC_BYTES:], "little")


def parse_header(image: bytes) -> dict:
    """The setup header fields of a bzImage (its first ``SETUP_SIZE`` bytes suffice)."""
    return {name: struct.unpack_from("<" + fmt, image, off)[0]
            for name, (off, fmt) in HEADER.items()}


def padding(size: int, seed: bytes = b"qboot-fw stub kernel") -> bytes:
    """``size`` deterministic bytes that no compressor shrinks."""
    return hashlib.shake_128(seed).digest(size)


def stub_bzimage(size: int = DEFAULT_SIZE) -> bytes:
    """The stub image, ``size`` bytes long (at least ``MIN_SIZE``)."""
    if size < MIN_SIZE:
        raise ValueError(f"a stub bzImage needs at least {MIN_SIZE} bytes, not {size}")
    pm_size = size - SETUP_SIZE
    setup = bytearray(SETUP_SIZE)
    fields = {
        "setup_sects": SETUP_SECTS,
        "syssize": (pm_size + 15) // 16,  # in 16-byte paragraphs
        "vid_mode": 0xFFFF,  # "normal"
        "boot_flag": 0xAA55,
        "jump": 0xEB | (REAL_ENTRY - 0x202) << 8,  # jmp short to the real-mode stub
        "header": b"HdrS",
        "version": 0x020F,
        "start_sys_seg": 0x1000,
        "kernel_version": VERSION_STRING_AT - 0x200,
        "loadflags": LOADED_HIGH,  # a bzImage: the protected-mode part goes to 1 MiB
        "setup_move_size": 0x8000,
        "code32_start": 0x100000,
        "initrd_addr_max": 0x7FFFFFFF,
        # relocatable to any 2 MiB boundary, preferably 16 MiB (as x86-64 Linux)
        "kernel_alignment": 0x200000,
        "relocatable_kernel": 1,
        "min_alignment": 21,
        "xloadflags": XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G,
        "cmdline_size": 2047,
        "pref_address": 0x1000000,
        # the stub needs no memory beyond its own image (a real kernel decompresses)
        "init_size": (pm_size + 0xFFF) & ~0xFFF,
        "kernel_info_offset": KERNEL_INFO_AT,  # from the start of the protected-mode part
    }
    for name, value in fields.items():
        off, fmt = HEADER[name]
        struct.pack_into("<" + fmt, setup, off, value)
    real = entry_stub(REAL_MODE_EXIT, 16)
    assert REAL_ENTRY + len(real) <= VERSION_STRING_AT
    setup[REAL_ENTRY:REAL_ENTRY + len(real)] = real
    setup[VERSION_STRING_AT:VERSION_STRING_AT + len(VERSION)] = VERSION

    stub = bytearray(PAD_FROM)
    pm, lm = entry_stub(PROTECTED_MODE_EXIT, 32), entry_stub(LONG_MODE_EXIT, 64)
    assert len(pm) <= LONG_ENTRY and LONG_ENTRY + len(lm) <= KERNEL_INFO_AT
    stub[0:len(pm)] = pm
    stub[LONG_ENTRY:LONG_ENTRY + len(lm)] = lm
    # "Details of the kernel_info Fields": header, size, size_total, setup_type_max
    # (the stub reads no setup_data, so it admits no type beyond SETUP_NONE)
    stub[KERNEL_INFO_AT:KERNEL_INFO_AT + 16] = struct.pack("<4sIII", b"LToP", 16, 16, 0)
    return bytes(setup + stub) + padding(pm_size - PAD_FROM)


def write_stub_bzimage(path, size: int = DEFAULT_SIZE) -> Path:
    """Write :func:`stub_bzimage` to ``path``; returns the path."""
    path = Path(path)
    path.write_bytes(stub_bzimage(size))
    return path


def entry_for_status(status: int | None) -> str | None:
    """The entry name for a QEMU exit status, or None when it is not one of ours."""
    if status is None or status < 0 or not status & 1:
        return None
    return ENTRY_NAMES.get(status >> 1)
