; Real-mode vectors that mean the program cannot go on: the CPU exceptions that reach the
; IVT in real mode (00h, 01h, 03h-07h; 0Ch stack fault and 0Dh general protection, which
; share their vectors with IRQ 4 and 5: Intel SDM Vol. 3A, 20.1.4) and INT 18h/19h ("boot
; failed", "bootstrap"; BIOS Boot Specification 1.01, 6.5, 6.6).  Each stub pushes its
; vector and goes to bios16_fatal (fatal32.asm) through bios16_call32, which panics naming
; the vector and the CS:IP the INT frame holds (the faulting instruction, or the one after
; a software INT).  Never returns.
.global bios16_exc00, bios16_exc01, bios16_exc03, bios16_exc04, bios16_exc05
.global bios16_exc06, bios16_exc07, bios16_exc0c, bios16_exc0d, bios16_int18, bios16_int19
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
; bios16_exc0c / bios16_exc0d: IRQ 4 / IRQ 5 when the master 8259 has it in service (then
; bios16_irq_master), else the exception (3 port accesses to tell)
bios16_exc0c:
    push ax
    mov ah, 1 << (EXC_STACK_FAULT - PIC1_VECTOR_BASE)
    call pic1_in_service
    pop ax
    jnz bios16_irq_master
    push EXC_STACK_FAULT
    jmp fatal
bios16_exc0d:
    push ax
    mov ah, 1 << (EXC_GENERAL_PROTECTION - PIC1_VECTOR_BASE)
    call pic1_in_service
    pop ax
    jnz bios16_irq_master
    push EXC_GENERAL_PROTECTION
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

; pic1_in_service: In: AH = an IRQ's bit.  Out: ZF clear when the master 8259 has that IRQ in
; service (OCW3: read the ISR, then back to the IRR, the default).  Clobbers: AL.
pic1_in_service:
    mov al, PIC_OCW3_READ_ISR
    out PIC1_COMMAND, al
    in al, PIC1_COMMAND
    test al, ah
    mov al, PIC_OCW3_READ_IRR
    out PIC1_COMMAND, al
    ret
