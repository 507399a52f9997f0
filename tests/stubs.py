"""Test kernels of the project's own, assembled here with the project's assembler:

* ``multiboot_kernel()``: a Multiboot v1 kernel (a.out-kludge header, loaded at 1 MiB) that
  prints every multiboot_info field it received on COM1 and exits through isa-debug-exit.
* ``pvh_kernel()``: an ELF32 whose XEN_ELFNOTE_PHYS32_ENTRY entry checks hvm_start_info's
  magic, prints its fields, and exits through isa-debug-exit.

QEMU's exit status is (code << 1) | 1 for a value written to isa-debug-exit (iobase 0xf4).
"""

from __future__ import annotations

import struct

from qbootcore import asm
from qbootcore.backends.keystone_backend import KeystoneAssembler

LOAD = 0x100000
EXIT_MULTIBOOT, EXIT_PVH, EXIT_BAD_MAGIC = 0x31, 0x32, 0x3E

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

MULTIBOOT = r"""
header:
    .long 0x1BADB002
    .long 0x00010003
    .long -(0x1BADB002 + 0x00010003) & 0xffffffff
    .long header
    .long header
    .long 0
    .long 0
    .long start
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

CONSTANTS = {"EXIT_MULTIBOOT": EXIT_MULTIBOOT, "EXIT_PVH": EXIT_PVH,
             "EXIT_BAD_MAGIC": EXIT_BAD_MAGIC}


def assemble(source: str, base: int) -> bytes:
    lines, labels, _, _ = asm.scan(source, "<test kernel>")
    lines = asm.substitute(lines, labels, CONSTANTS, "<test kernel>")
    return KeystoneAssembler().assemble(lines, 32, base, "<test kernel>").code


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
