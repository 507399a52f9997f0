; bios16_block_move: the copy of INT 15h AH=87h (int15_ext.asm), run by bios16_call32 in
; 32-bit flat protected mode.
; In: ESI = linear address of the caller's GDT (source descriptor at BLOCK_MOVE_SOURCE,
;     destination at BLOCK_MOVE_DEST), ECX = words.
; Out: CF clear.  Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global bios16_block_move
bios16_block_move:
    mov eax, [esi + BLOCK_MOVE_SOURCE + DESC_BASE_LOW]
    and eax, DESC_BASE_LOW_MASK
    movzx ebx, byte ptr [esi + BLOCK_MOVE_SOURCE + DESC_BASE_HIGH]
    shl ebx, 24
    or eax, ebx
    mov edx, [esi + BLOCK_MOVE_DEST + DESC_BASE_LOW]
    and edx, DESC_BASE_LOW_MASK
    movzx ebx, byte ptr [esi + BLOCK_MOVE_DEST + DESC_BASE_HIGH]
    shl ebx, 24
    or edx, ebx
    mov esi, eax
    mov edi, edx
    ; dwords, then the odd word (rep movsd keeps the CF of the shift)
    shr ecx, 1
    rep movsd
    jnc move_done
    movsw
move_done:
    clc
    ret
