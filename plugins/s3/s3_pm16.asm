; s3_pm16: the 16-bit end of s3_resume's jump to a real-mode waking vector, entered by a
; far jump to SEL_CODE16 (a 64 KiB code segment at FSEG_BASE) with interrupts off and the
; IDTR as reset left it (base 0, limit 0FFFFh: the real-mode interrupt table).  Loads 64
; KiB data segments, clears CR0.PE, reloads CS with a real-mode far jump (Intel SDM Vol. 3A,
; 9.9.2 "Switching Back to Real-Address Mode") to s3_real (s3_real.asm), which jumps to the
; vector.  Uses no stack.
; In: DX:SI = real-mode address of the vector's far pointer (offset, segment).
; Does not return.
.global s3_pm16
s3_pm16:
    mov ax, SEL_DATA16
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov eax, cr0
    and al, ~CR0_PE & 0xFF
    mov cr0, eax
    ; jmp S3_FSEG_SEGMENT:s3_real (EA ptr16:16; s3_real is another fragment, so that every
    ; assembler sees its address as a number)
    .byte 0xEA
    .word s3_real - FSEG_BASE
    .word S3_FSEG_SEGMENT
