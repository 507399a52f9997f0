; bios16_pm16: the 16-bit protected-mode step of bios16_enter_real_mode (install.asm),
; entered by a far jump to SEL_CODE16 (a 64 KiB code segment at FSEG_BASE) with
; interrupts off and the real-mode IDTR loaded.  Loads 64 KiB data segments (SEL_DATA16),
; clears CR0.PE and reloads CS with a real-mode far jump to bios16_handover (Intel SDM
; Vol. 3A, 9.9.2 "Switching Back to Real-Address Mode").  Uses no stack.
; In: AX = the target's SS, EBX = its SP less RM_FRAME_SIZE (for bios16_handover).
; Clobbers: ECX.  Does not return.
.global bios16_pm16
bios16_pm16:
    mov cx, SEL_DATA16
    mov ds, cx
    mov es, cx
    mov fs, cx
    mov gs, cx
    mov ss, cx
    mov ecx, cr0
    and cl, ~CR0_PE & 0xFF
    mov cr0, ecx
    ; jmp FSEG_SEGMENT:bios16_handover (EA ptr16:16)
    .byte 0xEA
    .word bios16_handover - FSEG_BASE
    .word FSEG_SEGMENT
