; Real-mode vectors that mean the program cannot go on: the CPU exceptions that reach the
; IVT in real mode (00h, 01h, 03h-07h; Intel SDM Vol. 3A, 20.1.4) and INT 18h/19h ("boot
; failed", "bootstrap"; BIOS Boot Specification 1.01, 6.5, 6.6).  Each stub pushes its
; vector and goes to bios16_fatal (fatal32.asm) through bios16_call32, which panics naming
; the vector and the CS:IP the INT frame holds (the faulting instruction, or the one after
; a software INT).  Never returns.
.global bios16_exc00, bios16_exc01, bios16_exc03, bios16_exc04, bios16_exc05
.global bios16_exc06, bios16_exc07, bios16_int18, bios16_int19
bios16_exc00:
    push 0x00
    jmp fatal
bios16_exc01:
    push 0x01
    jmp fatal
bios16_exc03:
    push 0x03
    jmp fatal
bios16_exc04:
    push 0x04
    jmp fatal
bios16_exc05:
    push 0x05
    jmp fatal
bios16_exc06:
    push 0x06
    jmp fatal
bios16_exc07:
    push 0x07
    jmp fatal
bios16_int18:
    push INT_BOOT_FAILED
    jmp fatal
bios16_int19:
    push INT_BOOTSTRAP
fatal:
    cli
    pop ax
    pop dx
    pop cx
    movzx eax, al
    shl ecx, 16
    mov cx, dx
    mov ebp, bios16_fatal
    call bios16_call32
