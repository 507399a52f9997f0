; bios16_call16_return: where a real-mode callee of bios16_call16 (call16.asm) returns to
; with RETF.  Real mode, CS = FSEG_SEGMENT, the callee's registers live.  Stores them in
; the EBDA (EBDA_C16_REGS, RM_* layout), turns A20 on (the firmware runs from the ROM's high
; alias), loads the firmware's GDT and enters protected mode at bios16_call16_back.
; Uses 6 bytes of the callee's stack, which it leaves as it was.  Does not return.
.global bios16_call16_return
bios16_call16_return:
    pushf
    cli
    push ds
    push eax
    xor ax, ax
    mov ds, ax
    mov ds, word ptr [BDA_EBDA_SEGMENT]
    pop eax
    mov dword ptr [EBDA_C16_REGS + RM_EAX], eax
    mov dword ptr [EBDA_C16_REGS + RM_EBX], ebx
    mov dword ptr [EBDA_C16_REGS + RM_ECX], ecx
    mov dword ptr [EBDA_C16_REGS + RM_EDX], edx
    mov dword ptr [EBDA_C16_REGS + RM_ESI], esi
    mov dword ptr [EBDA_C16_REGS + RM_EDI], edi
    mov dword ptr [EBDA_C16_REGS + RM_EBP], ebp
    pop ax
    mov word ptr [EBDA_C16_REGS + RM_DS], ax
    pop ax
    mov word ptr [EBDA_C16_REGS + RM_FLAGS], ax
    mov word ptr [EBDA_C16_REGS + RM_ES], es
    mov word ptr [EBDA_C16_REGS + RM_FS], fs
    mov word ptr [EBDA_C16_REGS + RM_GS], gs
    mov word ptr [EBDA_C16_REGS + RM_SS], ss
    mov word ptr [EBDA_C16_REGS + RM_SP], sp
    in al, PORT_A20
    test al, A20_ENABLE
    jnz c16r_a20_on
    or al, A20_ENABLE
    and al, ~PORT_A20_RESET & 0xFF
    out PORT_A20, al
c16r_a20_on:
    lgdt cs:[gdt_descriptor - FSEG_BASE]
    mov eax, cr0
    or al, CR0_PE
    mov cr0, eax
    ; jmp dword SEL_CODE32:bios16_call16_back (66 EA ptr16:32)
    .byte 0x66, 0xEA
    .long bios16_call16_back
    .word SEL_CODE32
