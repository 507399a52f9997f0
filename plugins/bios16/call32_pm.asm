; bios16_call32_pm: the protected-mode side of bios16_call32 (call32.asm), entered through
; bios16_pm32 (flat segments, interrupts off), the caller's EAX in the EBDA and EBP = the
; routine.  The EBDA stack, the routine, then back to real mode through
; 16-bit protected mode (pm16_real, firmware/pm16_real.asm) to bios16_call32_real, which
; takes the routine's EAX and CF from the EBDA.  Does not return.
.global bios16_call32_pm
bios16_call32_pm:
    movzx eax, word ptr [BDA_EBDA_SEGMENT]
    shl eax, 4
    lea esp, [eax + EBDA_STACK32_TOP]
    push eax
    mov eax, [eax + EBDA_C32_EAX]
    cld
    call ebp
    ; EAX = the EBDA base again and the routine's EAX and CF stored (xchg, pop, setc and
    ; mov keep the flags)
    xchg eax, [esp]
    pop dword ptr [eax + EBDA_C32_EAX]
    setc byte ptr [eax + EBDA_C32_CF]
    ; the stack is dead from here: bios16_call32_real loads the caller's
    mov esp, bios16_call32_real - FSEG_BASE
    ; jmp SEL_CODE16:(pm16_real - FSEG_BASE) (EA ptr16:32)
    .byte 0xEA
    .long pm16_real - FSEG_BASE
    .word SEL_CODE16
