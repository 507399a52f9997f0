; s3_real: the real-mode end of s3_resume, entered from pm16_real (firmware/
; pm16_real.asm) with interrupts off: the segment registers 0, then the jump to
; the waking vector.  In: real mode; DX:SI = real-mode address of the vector's far pointer
; (offset, segment).  Uses no stack.  Does not return.
.global s3_real
s3_real:
    xor ax, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov ds, dx
    ; jmp far [si] (FF /5, ModRM 2Ch: m16:16 at DS:SI)
    .byte 0xFF, 0x2C
