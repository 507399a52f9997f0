"""A Multiboot v1 test kernel of our own that suspends to S3 and reports, from its waking
vector, the mode the firmware entered it in (tests/e2e/test_s3.py).

At its first boot it finds the FADT (RSDP in 0xE0000-0xFFFFF -> RSDT -> "FACP"), and
through it the FACS and PM1a_CNT.  It copies a 16-bit stub to REAL_VECTOR and sets the FACS
real-mode waking vector to it; with ``mode="32"`` it also makes the FACS a version 1 FACS
and sets X_Firmware_Waking_Vector to a 32-bit routine, which then takes precedence (ACPI
6.5, 5.2.10).  It writes SLP_TYP=1 (QEMU's S3, hw/acpi/core.c) | SLP_EN to PM1a_CNT and
halts; once woken (QMP system_wakeup):

* the 16-bit stub exits through isa-debug-exit with EXIT_REAL when CR0.PE is clear and CS
  is REAL_VECTOR >> 4, else EXIT_WRONG_MODE;
* the 32-bit routine exits with EXIT_FLAT32 when CR0.PE is set, paging is off and a flat
  data read of its own code sees the expected bytes, else EXIT_WRONG_MODE.

QEMU's exit status is (code << 1) | 1.
"""

from __future__ import annotations

from tests.stubs import LIB, LOAD, MULTIBOOT_HEADER, assemble

EXIT_REAL, EXIT_FLAT32, EXIT_WRONG_MODE, EXIT_NO_TABLES = 0x41, 0x42, 0x4E, 0x4F
REAL_VECTOR = 0x8000

# The 16-bit stub, hand-encoded (the test kernel is assembled as 32-bit code):
#   0: 0F 01 E0     smsw ax
#   3: A8 01        test al, 1
#   5: 75 0E        jnz fail            (0x15)
#   7: 8C C8        mov ax, cs
#   9: 3D 00 08     cmp ax, 0x0800      (REAL_VECTOR >> 4)
#   C: 75 07        jnz fail
#   E: B0 41        mov al, EXIT_REAL
#  10: E6 F4        out 0xf4, al
#  12: F4           hlt
#  13: EB FD        jmp 0x12
#  15: B0 4E        fail: mov al, EXIT_WRONG_MODE
#  17: E6 F4        out 0xf4, al
#  19: F4           hlt
REAL_STUB = bytes.fromhex("0f01e0 a801 750e 8cc8 3d0008 7507 b041 e6f4 f4 ebfd b04e e6f4 f4")
assert REAL_VECTOR >> 4 == 0x0800 and REAL_STUB[0xE + 1] == EXIT_REAL

SOURCE = MULTIBOOT_HEADER + r"""
start:
    mov esp, 0x90000
    mov esi, 0xE0000
scan:
    cmp dword ptr [esi], 0x20445352
    jne scan_next
    cmp dword ptr [esi + 4], 0x20525450
    je rsdp_found
scan_next:
    add esi, 16
    cmp esi, 0x100000
    jb scan
    jmp no_tables
rsdp_found:
    mov esi, [esi + 16]
    mov ecx, [esi + 4]
    sub ecx, 36
    shr ecx, 2
    lea edi, [esi + 36]
find_fadt:
    mov edx, [edi]
    cmp dword ptr [edx], 0x50434146
    je fadt_found
    add edi, 4
    dec ecx
    jnz find_fadt
    jmp no_tables
fadt_found:
    mov ebx, [edx + 36]
    mov ebp, [edx + 64]
    ; the 16-bit stub at REAL_VECTOR, and the real-mode vector
    mov esi, real_stub
    mov edi, REAL_VECTOR
    mov ecx, real_stub_end - real_stub
    rep movsb
    mov dword ptr [ebx + 12], REAL_VECTOR
    mov dword ptr [ebx + 24], 0
    mov dword ptr [ebx + 28], 0
    mov eax, MODE32
    test eax, eax
    jz suspend
    mov byte ptr [ebx + 32], 1
    mov dword ptr [ebx + 24], wake32
suspend:
    mov esi, s_suspend
    call puts
    mov edx, ebp
    in ax, dx
    and ax, 0xE3FF
    or ax, 0x2400
    out dx, ax
halt:
    hlt
    jmp halt
wake32:
    mov eax, cr0
    test eax, 1
    jz wrong_mode
    test eax, 0x80000000
    jnz wrong_mode
    cmp dword ptr [marker], 0x33534B51
    jne wrong_mode
    mov esi, s_woken
    call puts
    mov al, EXIT_FLAT32
    jmp exit
wrong_mode:
    mov al, EXIT_WRONG_MODE
    jmp exit
no_tables:
    mov al, EXIT_NO_TABLES
    jmp exit
marker:
    .long 0x33534B51
s_suspend: .asciz "\nS3K-SUSPEND\n"
s_woken: .asciz "\nS3K-WOKEN flat32\n"
real_stub:
""" + "".join(f"    .byte {b:#04x}\n" for b in REAL_STUB) + "real_stub_end:\n"


def s3_kernel(mode: str) -> bytes:
    """The kernel; ``mode`` is ``"real"`` or ``"32"`` (the vector the FACS will ask for)."""
    source = SOURCE.replace("MODE32", "1" if mode == "32" else "0")
    for name, value in (("REAL_VECTOR", REAL_VECTOR), ("EXIT_FLAT32", EXIT_FLAT32),
                        ("EXIT_WRONG_MODE", EXIT_WRONG_MODE), ("EXIT_NO_TABLES", EXIT_NO_TABLES)):
        source = source.replace(name, str(value))
    return assemble(source + LIB, LOAD)
