; SMBIOS from QEMU's fw_cfg files (constants and sources in smbios.inc).

.bss smbios_anchor, 4
.bss smbios_tables, 4

; smbios_load (step, stage tables): the entry point goes to the F-segment, the structures
; to the high zone; then the table address and the checksums are filled in.
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
    shl eax, 16
    or eax, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ
    call fw_cfg_xfer
    mov esi, name_smbios_tables
    call fw_cfg_find
    test eax, eax
    jz smbios_bad
    mov ebx, eax
    mov edx, SMBIOS_TABLE_ALIGN
    call alloc_high
    mov [smbios_tables], edi
    mov eax, ebx
    shl eax, 16
    or eax, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ
    call fw_cfg_xfer
    mov ebx, [smbios_anchor]
    mov eax, [smbios_tables]
    cmp dword ptr [ebx], SMBIOS3_ANCHOR
    je smbios_3
    cmp dword ptr [ebx], SMBIOS21_ANCHOR
    jne smbios_bad
    ; 2.1: the address, the intermediate checksum, then the whole entry point's checksum
    mov [ebx + SMBIOS21_TABLE_ADDRESS], eax
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
    movzx ecx, byte ptr [ebx + SMBIOS3_LENGTH]
    lea edi, [ebx + SMBIOS3_CHECKSUM]
smbios_sum:
    cmp ecx, SMBIOS_ANCHOR_MAX
    ja smbios_bad
    mov esi, ebx
    call checksum_fix
smbios_none:
    ret
smbios_bad:
    mov esi, msg_smbios_bad
    jmp panic

name_smbios_anchor:
    .asciz "etc/smbios/smbios-anchor"
name_smbios_tables:
    .asciz "etc/smbios/smbios-tables"
msg_smbios_bad:
    .asciz "smbios: QEMU's etc/smbios files are malformed (unknown anchor or sizes)"
