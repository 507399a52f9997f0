; pm16_real: from 16-bit protected mode back to real mode (Intel SDM Vol. 3A, 9.9.2
; "Switching Back to Real-Address Mode"), for the features that hand over to or call
; real-mode code (bios16, s3; emitted only when one of them requires "pm16_real").
; Entered by a far jump to SEL_CODE16:(pm16_real - FSEG_BASE) (a 64 KiB code segment at
; FSEG_BASE) with interrupts off and the IDTR the real-mode code needs loaded.  Loads 64
; KiB data segments (SEL_DATA16, base 0), clears CR0.PE, reloads CS with a real-mode far
; jump to FSEG_SEGMENT and jumps to the continuation.  Uses no stack.
; In:  SP = the continuation's offset in the F-segment (real mode, CS = FSEG_SEGMENT,
;      interrupts off).  The stack is dead on every path that comes here: the
;      continuation loads SS:SP itself (or the code it jumps to does).
; Out: real mode; DS, ES, FS, GS, SS hold SEL_DATA16 with 64 KiB limits, base 0.
; Clobbers: EAX.  Does not return.
.global pm16_real
pm16_real:
    mov ax, SEL_DATA16
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov eax, cr0
    and al, ~CR0_PE & 0xFF
    mov cr0, eax
    ; jmp FSEG_SEGMENT:pm16_real_cs (EA ptr16:16; pm16_real_cs is another fragment, so
    ; that every assembler sees its address as a number)
    .byte 0xEA
    .word pm16_real_cs - FSEG_BASE
    .word FSEG_SEGMENT
