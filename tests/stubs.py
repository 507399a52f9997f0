"""Test kernels of the project's own, assembled here with the project's assembler:

* ``multiboot_kernel()``: a Multiboot v1 kernel (a.out-kludge header, loaded at 1 MiB) that
  prints every multiboot_info field it received on COM1 and exits through isa-debug-exit.
* ``pvh_kernel()``: an ELF32 whose XEN_ELFNOTE_PHYS32_ENTRY entry checks hvm_start_info's
  magic, prints its fields, and exits through isa-debug-exit.
* ``realmode_multiboot_kernel()``: a Multiboot v1 kernel linked at 0x8000 that runs in real
  mode (as kvm-unit-tests' x86/realmode.flat does): it checks that its image, which covers
  0x9000-0xA1FF, survived the loader, switches to real mode itself and uses the BIOS
  (INT 10h, 12h, 15h E820h), printing what it got, and exits through isa-debug-exit.

QEMU's exit status is (code << 1) | 1 for a value written to isa-debug-exit (iobase 0xf4).
"""

from __future__ import annotations

import struct

from qbootcore import asm
from qbootcore.backends.keystone_backend import KeystoneAssembler

LOAD = 0x100000
EXIT_MULTIBOOT, EXIT_PVH, EXIT_BAD_MAGIC = 0x31, 0x32, 0x3E
EXIT_REALMODE, EXIT_CLOBBERED = 0x33, 0x3D
RM_LOAD, RM_CODE16, RM_PATTERN, RM_END = 0x8000, 0x8800, 0x9000, 0xA200

# Shared printing routines: COM1 needs no set-up under QEMU.
LIB = r"""
; puts: ESI = NUL-terminated string.  Clobbers EAX, EDX, ESI.
puts:
    lodsb
    test al, al
    jz puts_done
    mov dx, 0x3f8
    out dx, al
    jmp puts
puts_done:
    ret
; puthex: EAX as 8 hex digits.  Clobbers EAX, ECX, EDX.
puthex:
    mov ecx, 8
puthex_next:
    rol eax, 4
    push eax
    and al, 0xf
    add al, 0x30
    cmp al, 0x39
    jbe puthex_digit
    add al, 7
puthex_digit:
    mov dx, 0x3f8
    out dx, al
    pop eax
    dec ecx
    jnz puthex_next
    ret
; field: print " " + name (ESI) + "=" + hex EAX.  Clobbers EAX, ECX, EDX, ESI.
field:
    push eax
    call puts
    pop eax
    jmp puthex
exit:
    mov dx, 0xf4
    out dx, al
    hlt
"""

# The Multiboot v1 header (Multiboot 0.6.96, 3.1) of the multiboot test kernels (here and
# tests/s3kernel.py): flags 0x00010003 (modules page aligned, memory information, the
# a.out-kludge address fields: loaded where it is linked, entry ``start``).
MULTIBOOT_HEADER = r"""
header:
    .long 0x1BADB002
    .long 0x00010003
    .long -(0x1BADB002 + 0x00010003) & 0xffffffff
    .long header
    .long header
    .long 0
    .long 0
    .long start
"""

MULTIBOOT = MULTIBOOT_HEADER + r"""
start:
    mov esp, 0x90000
    cmp eax, 0x2BADB002
    jne bad_magic
    mov ebp, ebx
    mov esi, s_report
    call puts
    mov eax, [ebp]
    mov esi, s_flags
    call field
    mov eax, [ebp + 4]
    mov esi, s_lower
    call field
    mov eax, [ebp + 8]
    mov esi, s_upper
    call field
    mov eax, [ebp + 20]
    mov esi, s_mods
    call field
    mov eax, [ebp + 44]
    mov esi, s_mmap_length
    call field
    mov esi, s_cmdline
    call puts
    mov esi, [ebp + 16]
    call puts
    mov esi, s_loader
    call puts
    mov esi, [ebp + 64]
    call puts
    ; modules: start, end, byte sum of the contents, command line
    mov edi, [ebp + 24]
    mov ebx, [ebp + 20]
mod_next:
    test ebx, ebx
    jz mods_done
    mov esi, s_mod
    call puts
    mov eax, [edi]
    mov esi, s_start
    call field
    mov eax, [edi + 4]
    mov esi, s_end
    call field
    mov esi, [edi]
    xor eax, eax
    xor ecx, ecx
sum_next:
    cmp esi, [edi + 4]
    jae sum_done
    mov cl, [esi]
    add eax, ecx
    inc esi
    jmp sum_next
sum_done:
    mov esi, s_sum
    call field
    mov esi, s_cmdline
    call puts
    mov esi, [edi + 8]
    call puts
    add edi, 16
    dec ebx
    jmp mod_next
mods_done:
    ; memory map: size, base, length, type of each entry
    mov edi, [ebp + 48]
    mov ebx, edi
    add ebx, [ebp + 44]
map_next:
    cmp edi, ebx
    jae map_done
    mov esi, s_map
    call puts
    mov eax, [edi]
    mov esi, s_size
    call field
    mov eax, [edi + 8]
    mov esi, s_base
    call field
    mov eax, [edi + 4]
    call puthex
    mov eax, [edi + 16]
    mov esi, s_len
    call field
    mov eax, [edi + 12]
    call puthex
    mov eax, [edi + 20]
    mov esi, s_type
    call field
    mov eax, [edi]
    lea edi, [edi + eax + 4]
    jmp map_next
map_done:
    mov esi, s_done
    call puts
    mov al, EXIT_MULTIBOOT
    jmp exit
bad_magic:
    mov al, EXIT_BAD_MAGIC
    jmp exit
s_report: .asciz "\nMB-REPORT"
s_flags: .asciz " flags="
s_lower: .asciz " mem_lower="
s_upper: .asciz " mem_upper="
s_mods: .asciz " mods_count="
s_mmap_length: .asciz " mmap_length="
s_cmdline: .asciz " cmdline="
s_loader: .asciz "\nMB-LOADER "
s_mod: .asciz "\nMB-MOD"
s_start: .asciz " start="
s_end: .asciz " end="
s_sum: .asciz " sum="
s_map: .asciz "\nMB-MMAP"
s_size: .asciz " size="
s_base: .asciz " base="
s_len: .asciz " len="
s_type: .asciz " type="
s_done: .asciz "\nMB-DONE\n"
"""

PVH = r"""
start:
    mov esp, 0x90000
    cmp dword ptr [ebx], 0x336EC578
    jne bad_magic
    mov ebp, ebx
    mov esi, s_report
    call puts
    mov eax, [ebp + 4]
    mov esi, s_version
    call field
    mov eax, [ebp + 12]
    mov esi, s_modules
    call field
    mov eax, [ebp + 32]
    mov esi, s_rsdp
    call field
    mov eax, [ebp + 48]
    mov esi, s_entries
    call field
    mov esi, s_cmdline
    call puts
    mov esi, [ebp + 24]
    call puts
    mov esi, s_done
    call puts
    mov al, EXIT_PVH
    jmp exit
bad_magic:
    mov al, EXIT_BAD_MAGIC
    jmp exit
s_report: .asciz "\nPVH-REPORT"
s_version: .asciz " version="
s_modules: .asciz " nr_modules="
s_rsdp: .asciz " rsdp="
s_entries: .asciz " memmap_entries="
s_cmdline: .asciz " cmdline="
s_done: .asciz "\nPVH-DONE\n"
"""

# The real-mode multiboot kernel: 32-bit entry at RM_LOAD, 16-bit code at RM_CODE16, a
# pattern from RM_PATTERN to RM_END (where QEMU's multiboot information would go).
REALMODE32 = MULTIBOOT_HEADER + r"""
start:
    mov esp, 0x7000
    cmp eax, 0x2BADB002
    jne bad_magic
    mov esi, s_mbi
    mov eax, ebx
    call field
    ; the pattern: dword i holds i * 0x01010101 ^ 0x5A5A5A5A
    mov edi, RM_PATTERN
    xor ecx, ecx
check_next:
    mov eax, ecx
    imul eax, eax, 0x01010101
    xor eax, 0x5A5A5A5A
    cmp [edi + ecx * 4], eax
    jne clobbered
    inc ecx
    cmp ecx, (RM_END - RM_PATTERN) / 4
    jb check_next
    mov esi, s_intact
    call puts
    ; to real mode (Intel SDM Vol. 3A, 9.9.2): 16-bit segments, PE off, the IVT
    lgdt [gdt_desc]
    .byte 0xEA
    .long RM_CODE16
    .word 0x08
clobbered:
    mov esi, s_clobbered
    call field
    mov al, EXIT_CLOBBERED
    jmp exit
bad_magic:
    mov al, EXIT_BAD_MAGIC
    jmp exit
s_mbi: .asciz "RMMB mbi="
s_intact: .asciz " image-intact\n"
s_clobbered: .asciz " CLOBBERED dword="
.byte 0, 0, 0
gdt:
    .quad 0
    .quad 0x00009B000000FFFF
    .quad 0x000093000000FFFF
gdt_desc:
    .word 23
    .long gdt
"""

REALMODE16 = r"""
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr0
    and al, 0xFE
    mov cr0, eax
    .byte 0xEA
    .word real
    .word 0
real:
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7000
    lidt [idt_real]
    mov si, s_real
    call print
    int 0x12
    call hex16
    ; count the E820h entries
    mov si, s_e820
    call print
    xor ebx, ebx
    xor bp, bp
e820_next:
    mov eax, 0xE820
    mov edx, 0x534D4150
    mov ecx, 20
    mov di, 0x6000
    int 0x15
    jc e820_done
    inc bp
    test ebx, ebx
    jnz e820_next
e820_done:
    mov ax, bp
    call hex16
    mov si, s_done
    call print
    FINISH
    mov al, EXIT_REALMODE
    out 0xf4, al
    hlt
; print: DS:SI through INT 10h AH=0Eh
print:
    lodsb
    test al, al
    jz print_done
    mov ah, 0x0E
    int 0x10
    jmp print
print_done:
    ret
; hex16: AX as 4 hex digits through INT 10h
hex16:
    mov cx, 4
    mov dx, ax
hex_next:
    rol dx, 4
    mov al, dl
    and al, 0x0F
    add al, 0x30
    cmp al, 0x39
    jbe hex_digit
    add al, 7
hex_digit:
    mov ah, 0x0E
    int 0x10
    dec cx
    jnz hex_next
    ret
idt_real:
    .word 0x3FF
    .long 0
s_real: .asciz "RMMB real-mode int12="
s_e820: .asciz " e820="
s_done: .asciz " RMMB-DONE\r\n"
"""

CONSTANTS = {"EXIT_MULTIBOOT": EXIT_MULTIBOOT, "EXIT_PVH": EXIT_PVH,
             "EXIT_BAD_MAGIC": EXIT_BAD_MAGIC, "EXIT_REALMODE": EXIT_REALMODE,
             "EXIT_CLOBBERED": EXIT_CLOBBERED, "RM_CODE16": RM_CODE16,
             "RM_PATTERN": RM_PATTERN, "RM_END": RM_END}


def assemble(source: str, base: int, bits: int = 32) -> bytes:
    lines, labels, _, _ = asm.scan(source, "<test kernel>")
    lines = asm.substitute(lines, labels, CONSTANTS, "<test kernel>")
    return KeystoneAssembler().assemble(lines, bits, base, "<test kernel>").code


def realmode_multiboot_kernel(fault: bool = False) -> bytes:
    """The a.out-kludge image from RM_LOAD to RM_END (see REALMODE32/REALMODE16); with
    ``fault``, it ends with an invalid opcode (UD2) in real mode instead of exiting."""
    code32 = assemble(REALMODE32 + LIB, RM_LOAD)
    code16 = assemble(REALMODE16.replace("FINISH", "ud2" if fault else ""), RM_CODE16, bits=16)
    assert len(code32) <= RM_CODE16 - RM_LOAD and len(code16) <= RM_PATTERN - RM_CODE16
    pattern = b"".join(struct.pack("<I", (i * 0x01010101 ^ 0x5A5A5A5A) & 0xFFFFFFFF)
                       for i in range((RM_END - RM_PATTERN) // 4))
    return (code32.ljust(RM_CODE16 - RM_LOAD, b"\0") + code16.ljust(RM_PATTERN - RM_CODE16, b"\0")
            + pattern)


def multiboot_kernel() -> bytes:
    return assemble(MULTIBOOT + LIB, LOAD)


def pvh_kernel() -> bytes:
    """ELF32: one PT_LOAD at LOAD, and a PT_NOTE with the Xen PHYS32_ENTRY note."""
    code = assemble(PVH + LIB, LOAD)
    note = struct.pack("<III4sI", 4, 4, 18, b"Xen\0", LOAD)  # XEN_ELFNOTE_PHYS32_ENTRY = 18
    ehsize, phsize = 52, 32
    note_off = ehsize + 2 * phsize
    code_off = 0x1000
    ident = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    header = ident + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, LOAD, ehsize, 0, 0, ehsize,
                                 phsize, 2, 40, 0, 0)
    load = struct.pack("<IIIIIIII", 1, code_off, LOAD, LOAD, len(code), len(code), 7, 0x1000)
    pnote = struct.pack("<IIIIIIII", 4, note_off, 0, 0, len(note), len(note), 4, 4)
    image = header + load + pnote + note
    return image + bytes(code_off - len(image)) + code
