; SMBIOS from QEMU's fw_cfg files (constants and sources in smbios.inc).
;
; For other features (e.g. one that adds a structure, in stage tables after order 60):
; smbios_tables / smbios_length hold the structure table's address and size (0 without
; SMBIOS from QEMU), smbios_next steps over one structure, and smbios_finish rewrites the
; entry point after the table was changed or moved.

.bss smbios_anchor, 4
.bss smbios_tables, 4
.bss smbios_length, 4

; smbios_load (step, stage tables): the entry point goes to the F-segment, the structures
; to the high zone; then smbios_finish fills in the table's address and the checksums.
; Without QEMU's SMBIOS files (-M ...,smbios-entry-point-type absent, old machines) it
; returns.  Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global smbios_load
smbios_load:
    mov esi, name_smbios_anchor
    call fw_cfg_find
    test eax, eax
    jz smbios_none
    cmp ecx, SMBIOS_ANCHOR_MAX
    ja smbios_bad
    mov ebx, eax
    mov edx, SMBIOS_ANCHOR_ALIGN
    call alloc_fseg
    mov [smbios_anchor], edi
    mov eax, ebx
    call fw_cfg_read
    mov esi, name_smbios_tables
    call fw_cfg_find
    test eax, eax
    jz smbios_bad
    mov [smbios_length], ecx
    mov ebx, eax
    mov edx, SMBIOS_TABLE_ALIGN
    call alloc_high
    mov [smbios_tables], edi
    mov eax, ebx
    call fw_cfg_read
    jmp smbios_finish
smbios_none:
    ret

; smbios_finish: write into the entry point what describes the structure table at
; [smbios_tables] of [smbios_length] bytes: its address, its length (2.1) or maximum size
; (3.0), and for 2.1 the number of structures and the largest one (counted here); then the
; checksums (2.1: the intermediate one, then the whole entry point's).
; In: smbios_anchor, smbios_tables, smbios_length (returns at once when smbios_tables is 0:
; no SMBIOS from QEMU).  Panics when a structure runs past the table's end or the anchor is
; unknown.  Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global smbios_finish
smbios_finish:
    mov esi, [smbios_tables]
    test esi, esi
    jz smbios_none
    mov edi, esi
    add edi, [smbios_length]
    xor ebx, ebx                    ; the largest structure so far
    xor edx, edx                    ; structures so far
smbios_count:
    cmp esi, edi
    jae smbios_counted
    call smbios_next
    inc edx
    cmp ecx, ebx
    jbe smbios_count
    mov ebx, ecx
    jmp smbios_count
smbios_counted:
    mov ecx, edx
    mov edx, ebx
    mov ebx, [smbios_anchor]
    mov eax, [smbios_tables]
    cmp dword ptr [ebx], SMBIOS3_ANCHOR
    je smbios_3
    cmp dword ptr [ebx], SMBIOS21_ANCHOR
    jne smbios_bad
    ; 2.1: the table's address, length, structure count and largest structure, the
    ; intermediate checksum, then the whole entry point's checksum
    mov [ebx + SMBIOS21_TABLE_ADDRESS], eax
    mov [ebx + SMBIOS21_STRUCTURE_COUNT], cx
    mov [ebx + SMBIOS21_MAX_STRUCTURE_SIZE], dx
    mov eax, [smbios_length]
    cmp eax, SMBIOS21_TABLE_LENGTH_MAX
    ja smbios_bad
    mov [ebx + SMBIOS21_TABLE_LENGTH], ax
    lea esi, [ebx + SMBIOS21_INTERMEDIATE]
    mov ecx, SMBIOS21_INTERMEDIATE_LENGTH
    lea edi, [ebx + SMBIOS21_INTERMEDIATE_CHECKSUM]
    call checksum_fix
    movzx ecx, byte ptr [ebx + SMBIOS21_LENGTH]
    lea edi, [ebx + SMBIOS21_CHECKSUM]
    jmp smbios_sum
smbios_3:
    mov [ebx + SMBIOS3_TABLE_ADDRESS], eax
    mov dword ptr [ebx + SMBIOS3_TABLE_ADDRESS + 4], 0
    mov eax, [smbios_length]
    mov [ebx + SMBIOS3_TABLE_MAX_SIZE], eax
    movzx ecx, byte ptr [ebx + SMBIOS3_LENGTH]
    lea edi, [ebx + SMBIOS3_CHECKSUM]
smbios_sum:
    cmp ecx, SMBIOS_ANCHOR_MAX
    ja smbios_bad
    mov esi, ebx
    jmp checksum_fix

; smbios_next: step over one structure: its formatted area (the header's length), then its
; strings, which end with a double NUL (two NULs when it has none).
; In: ESI = a structure, EDI = the table's end.  Out: ESI = the next structure, ECX = this
; structure's size.  Panics when the structure runs past EDI.  Clobbers: EAX.
.global smbios_next
smbios_next:
    mov eax, esi
    movzx ecx, byte ptr [esi + SMBIOS_HEADER_LENGTH]
    cmp ecx, SMBIOS_HEADER_SIZE
    jb smbios_overrun
    add esi, ecx
smbios_next_byte:
    lea ecx, [esi + SMBIOS_STRINGS_END_SIZE]
    cmp ecx, edi
    ja smbios_overrun
    cmp word ptr [esi], 0
    je smbios_next_done
    inc esi
    jmp smbios_next_byte
smbios_next_done:
    mov esi, ecx
    sub ecx, eax
    ret
smbios_overrun:
    call panic_here
    .asciz "smbios: structure past table end"
smbios_bad:
    call panic_here
    .asciz "smbios: malformed etc/smbios files"

name_smbios_anchor:
    .asciz "etc/smbios/smbios-anchor"
name_smbios_tables:
    .asciz "etc/smbios/smbios-tables"
