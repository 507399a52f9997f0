; The 16-bit half of optionrom_far_call (call16.asm), in three fragments (an F-segment
; offset, label - FSEG_BASE, is only portable between fragments): this one, from the 16-bit
; protected-mode code segment to real mode; call16_rm.asm, the far call and the way back to
; 32-bit protected mode; int10.asm, the INT 10h chain.  They run from the F-segment (CS =
; F000h in real mode), which the board has filled with the ROM's fseg region.

; optionrom_pm16: entered by a far jump to SEL_CODE16 with the real-mode IDTR loaded and
; interrupts off.  In: EAX = the target's AX, EBX = the target (segment << 16 | offset),
; ECX = SP, EDX = SS.  Does not return: comes back at optionrom_back32 with EAX = the
; target's EAX.  Clobbers: everything but EBP's saved copy on the firmware stack.
.global optionrom_pm16
optionrom_pm16:
    mov si, SEL_DATA16
    mov ds, si
    mov es, si
    mov fs, si
    mov gs, si
    mov ss, si
    mov esi, cr0
    and si, 0xFFFF - CR0_PE
    mov cr0, esi
    ; jmp FSEG_SEGMENT:optionrom_rm (EA ptr16:16)
    .byte 0xEA
    .word optionrom_rm - FSEG_BASE
    .word FSEG_SEGMENT
