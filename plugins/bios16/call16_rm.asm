; bios16_call16_return: where a real-mode callee of bios16_call16 (call16.asm) returns to
; with RETF.  Real mode, CS = FSEG_SEGMENT, the callee's registers live.  Stores them in
; the EBDA (EBDA_C16_REGS, RM_* layout) and enters protected mode through bios16_pm32 (A20
; on, the firmware's GDT) at bios16_call16_back.
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
    ; A20 on, protected mode (bios16_pm32, pm32.asm), then bios16_call16_back
    mov esp, bios16_call16_back
    jmp bios16_pm32
