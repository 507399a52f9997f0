; OEM strings: one SMBIOS type 11 structure, inserted into the table QEMU gave the smbios
; feature (constants in oemstrings.inc).  The structure itself is generated from the recipe
; (oemstrings_structure, __init__.py); its handle is chosen here, at boot.

; oemstrings_add (step, stage tables, order 70: after smbios_load).  Copies the structure
; table into a larger block of the high zone with oemstrings_structure inserted before the
; End-of-Table structure (at the end if there is none), gives it the largest handle in the
; table plus one, and has smbios_finish rewrite the entry point (address, length, count,
; largest structure, checksums).  Without SMBIOS from QEMU (smbios_tables = 0) it returns.
; Panics when no handle is free.  Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global oemstrings_add
oemstrings_add:
    mov esi, [smbios_tables]
    test esi, esi
    jz oemstrings_done
    mov edi, esi
    add edi, [smbios_length]
    xor ebx, ebx                    ; the largest handle so far
    xor edx, edx                    ; the End-of-Table structure, once found
oemstrings_scan:
    cmp esi, edi
    jae oemstrings_scanned
    movzx eax, word ptr [esi + SMBIOS_HEADER_HANDLE]
    cmp eax, ebx
    jb oemstrings_type
    mov ebx, eax
oemstrings_type:
    test edx, edx
    jnz oemstrings_next
    cmp byte ptr [esi + SMBIOS_HEADER_TYPE], SMBIOS_TYPE_END_OF_TABLE
    jne oemstrings_next
    mov edx, esi
oemstrings_next:
    call smbios_next                ; ESI = the next structure; clobbers EAX, ECX
    jmp oemstrings_scan
oemstrings_scanned:
    test edx, edx
    jnz oemstrings_place
    mov edx, edi                    ; no End-of-Table: append
oemstrings_place:
    inc ebx
    cmp ebx, SMBIOS_HANDLE_LAST
    ja oemstrings_no_handle
    mov eax, edx
    sub eax, [smbios_tables]        ; EAX = where the structure goes, as an offset
    mov ecx, [smbios_length]
    add ecx, oemstrings_structure_end - oemstrings_structure
    mov edx, SMBIOS_TABLE_ALIGN
    call alloc_high                 ; EDI = the new table; clobbers EDX
    mov edx, edi
    ; the structures before the insertion point, ours, then the rest
    mov esi, [smbios_tables]
    mov ecx, eax
    rep movsb
    push esi
    mov esi, oemstrings_structure
    mov ecx, oemstrings_structure_end - oemstrings_structure
    rep movsb
    pop esi
    mov [edx + eax + SMBIOS_HEADER_HANDLE], bx
    mov ecx, [smbios_length]
    sub ecx, eax
    rep movsb
    mov [smbios_tables], edx
    add dword ptr [smbios_length], oemstrings_structure_end - oemstrings_structure
    jmp smbios_finish
oemstrings_done:
    ret
oemstrings_no_handle:
    mov esi, msg_no_handle
    jmp panic

msg_no_handle:
    .asciz "oemstrings: every SMBIOS structure handle is taken"
