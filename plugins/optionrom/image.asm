; optionrom_find_image: the x86 image of an expansion ROM, checked (PCI Firmware
; Specification 3.0, 5.1: a ROM may hold images for several code types, each with its
; 55AAh header and PCI data structure; BIOS Boot Specification 1.01, 3.1: the bytes of the
; image sum to 0).  A ROM that fails a check is skipped with a warning naming the check.
; In: ESI = the ROM, ECX = the bytes there (its BAR size or file size), EDX = device << 16
;     | vendor it must name, or 0 for a fw_cfg ROM: any IDs, and a ROM without a PCI data
;     structure is then one legacy image (as SeaBIOS takes fw_cfg ROMs).
; Out: CF clear: ESI = the x86 image, ECX = its length (header byte 2, 512-byte units),
;      EDX = the IDs its PCI data structure names (0: it has none).
;      CF set: not usable (warned).
; Clobbers: EAX, EDX, EDI.
.global optionrom_find_image
optionrom_find_image:
    push ebx
    mov ebx, ecx
image_next:
    cmp ebx, OPROM_MIN_LENGTH
    jb image_bad_header
    cmp word ptr [esi], OPROM_SIGNATURE
    jne image_bad_header
    movzx edi, word ptr [esi + OPROM_PCIR_PTR]
    lea eax, [edi + PCIR_MIN_LENGTH]
    cmp eax, ebx
    ja image_no_pcir
    add edi, esi
    cmp dword ptr [edi], PCIR_SIGNATURE
    jne image_no_pcir
    cmp byte ptr [edi + PCIR_CODE_TYPE], PCIR_CODE_X86
    je image_x86
    test byte ptr [edi + PCIR_INDICATOR], PCIR_LAST_IMAGE
    jnz image_no_x86
    movzx eax, word ptr [edi + PCIR_IMAGE_LENGTH]
    shl eax, OPROM_UNIT_SHIFT
    jz image_bad_header
    cmp eax, ebx
    jae image_no_x86
    add esi, eax
    sub ebx, eax
    jmp image_next
image_no_pcir:
    test edx, edx
    jnz image_bad_header
    jmp image_length
image_x86:
    test edx, edx
    jz image_ids
    cmp [edi + PCIR_ID], edx
    jne image_wrong_id
image_ids:
    mov edx, [edi + PCIR_ID]
image_length:
    movzx ecx, byte ptr [esi + OPROM_SIZE]
    shl ecx, OPROM_UNIT_SHIFT
    jz image_bad_header
    cmp ecx, ebx
    ja image_bad_header
    ; the checksum: every byte of the image, modulo 256
    mov edi, esi
    mov ebx, ecx
    xor eax, eax
image_sum:
    add al, [edi]
    inc edi
    dec ebx
    jnz image_sum
    test al, al
    jnz image_bad_sum
    pop ebx
    clc
    ret
image_bad_header:
    mov esi, msg_bad_header
    jmp image_skip
image_no_x86:
    mov esi, msg_no_x86
    jmp image_skip
image_wrong_id:
    mov esi, msg_wrong_id
    jmp image_skip
image_bad_sum:
    mov esi, msg_bad_sum
image_skip:
    call warn
    pop ebx
    stc
    ret

msg_bad_header:
    .asciz "optionrom: an option ROM has no valid 55AAh header or PCI data structure; skipped (check the device's romfile=)"
msg_no_x86:
    .asciz "optionrom: an option ROM has no x86 (legacy BIOS) image; skipped (give the device a BIOS romfile=)"
msg_wrong_id:
    .asciz "optionrom: a device's ROM names another vendor/device ID in its PCI data structure; skipped (give the device its own romfile=)"
msg_bad_sum:
    .asciz "optionrom: an option ROM's checksum is wrong; skipped (check the device's romfile=)"
