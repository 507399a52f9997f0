; bios16_call32: the real-mode side of a call from a 16-bit BIOS service into a 32-bit flat
; protected-mode routine (Intel SDM Vol. 3A, 9.9.1 and 9.9.2: switching to protected mode
; and back).  The 32-bit side is bios16_call32_pm (call32_pm.asm).
;
; bios16_call32 (near call from 16-bit code in the F-segment, real mode, CS = FSEG_SEGMENT)
; In:  EBP = linear address of a 32-bit routine (e.g. in region text32; BP is an input of
;      no BIOS service this is for); EAX, EBX, ECX, EDX, ESI, EDI are passed to it as they
;      are.  Any DS, ES, FS, GS, SS:SP, IF.
; The routine is near-called in 32-bit flat protected mode: CS = SEL_CODE32, DS = ES = FS =
;      GS = SS = SEL_DATA32 (the firmware's GDT), interrupts off, DF clear, A20 on, ESP in
;      the EBDA (EBDA_STACK32_TOP - EBDA_STACK32 bytes, less 4 for the EBDA base the call
;      keeps there), EBP = its own address.  It returns with `ret`, CF as its result.  It
;      must not call bios16_call16 or bios16_call32 (they are not reentrant) nor enable
;      interrupts.  The EBDA's linear base is [BDA_EBDA_SEGMENT] << 4.
; Out: EAX, EBX, ECX, EDX, ESI, EDI, EBP as the routine left them; CF as it returned it.
;      DS, ES, FS, GS, SS, ESP, IF, DF and the other flags, the GDTR and A20 as on entry
;      (segment limits: 64 KiB).  IDTR untouched.
; Device accesses: one read of port 92h; a write before and after when A20 was off.
; Uses 12 bytes of the caller's stack.
.global bios16_call32
bios16_call32:
    pushf
    cli
    push ds
    push es
    ; push fs; push gs (0F A0, 0F A8: keystone 0.9.2 adds an operand-size prefix)
    .byte 0x0F, 0xA0, 0x0F, 0xA8
    push ax
    xor ax, ax
    mov ds, ax
    mov ds, word ptr [BDA_EBDA_SEGMENT]
    pop ax
    mov dword ptr [EBDA_C32_EAX], eax
    mov dword ptr [EBDA_C32_ESP], esp
    mov word ptr [EBDA_C32_SS], ss
    ; the caller's GDTR (o32 sgdt: all 32 bits of the base; 66 0F 01 06 disp16)
    .byte 0x66, 0x0F, 0x01, 0x06
    .word EBDA_C32_GDTR
    in al, PORT_A20
    mov byte ptr [EBDA_C32_A20], al
    ; A20 on, protected mode (bios16_pm32, pm32.asm), then bios16_call32_pm
    mov esp, bios16_call32_pm
    jmp bios16_pm32

; bios16_call32_real: the way back from bios16_call32_pm through pm16_real, in real mode
; with interrupts off; the routine's EAX and CF are in the EBDA.  Restores the caller's
; GDTR, A20, stack, segment registers and FLAGS (with the routine's CF) and returns to
; bios16_call32's caller.
.global bios16_call32_real
bios16_call32_real:
    xor ax, ax
    mov ds, ax
    mov ds, word ptr [BDA_EBDA_SEGMENT]
    ; the caller's GDTR (o32 lgdt: 66 0F 01 16 disp16)
    .byte 0x66, 0x0F, 0x01, 0x16
    .word EBDA_C32_GDTR
    mov al, byte ptr [EBDA_C32_A20]
    test al, A20_ENABLE
    jnz c32_a20_kept
    and al, ~PORT_A20_RESET & 0xFF
    out PORT_A20, al
c32_a20_kept:
    mov ss, word ptr [EBDA_C32_SS]
    mov esp, dword ptr [EBDA_C32_ESP]
    ; the routine's CF into the caller's FLAGS, above GS, FS, ES, DS on its stack
    mov al, byte ptr [EBDA_C32_CF]
    and byte ptr [esp + C32_FRAME_FLAGS], ~FLAGS_CF & 0xFF
    or byte ptr [esp + C32_FRAME_FLAGS], al
    mov eax, dword ptr [EBDA_C32_EAX]
    ; pop gs; pop fs (0F A9, 0F A1: keystone 0.9.2 adds an operand-size prefix)
    .byte 0x0F, 0xA9
    .byte 0x0F, 0xA1
    pop es
    pop ds
    popf
    ret
