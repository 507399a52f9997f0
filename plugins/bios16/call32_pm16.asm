; bios16_call32_pm16: the way back, entered from bios16_call32_pm by a far jump to
; SEL_CODE16 in 16-bit protected mode, interrupts off; the routine's EAX and CF are in the
; EBDA.  Leaves protected mode (64 KiB data segments first; Intel SDM Vol. 3A, 9.9.2) for
; bios16_call32_real (call32.asm).  Uses no stack.  Clobbers: EAX.
.global bios16_call32_pm16
bios16_call32_pm16:
    mov ax, SEL_DATA16
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov eax, cr0
    and al, ~CR0_PE & 0xFF
    mov cr0, eax
    ; jmp FSEG_SEGMENT:bios16_call32_real (EA ptr16:16)
    .byte 0xEA
    .word bios16_call32_real - FSEG_BASE
    .word FSEG_SEGMENT
