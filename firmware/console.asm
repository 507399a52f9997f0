; Messages for humans: COM1 and QEMU's debug console (uart.inc), used when the firmware
; cannot boot (panic) or wants to warn.  Not on the normal boot path: every byte written is a
; device access.

.bss console_ready, 4

; panic_here: panic with the message that follows the call, written at the failure site:
;     call panic_here
;     .asciz "what went wrong: the fix"
; (five bytes a site, against ten for MOV ESI + JMP panic).  Does not return.
.global panic_here
panic_here:
    pop esi
; panic: print "qboot-fw: panic: <message>" and halt forever.
; In: ESI = NUL-terminated message.  Does not return.
.global panic
panic:
    call panic_begin
    call console_puts
    jmp panic_end

; panic_begin: print "qboot-fw: panic: ", for a message printed in pieces (console_puts)
; and finished with panic_end.  On a machine other than the one the ROM was built for, it
; says that instead (panic_machine_check, machine.asm).  Preserves: ESI.  Clobbers: EAX, EDX.
.global panic_begin
panic_begin:
    call panic_machine_check
    push esi
    mov esi, panic_prefix
    call console_puts
    pop esi
    ret

; panic_end: end the line and halt forever.  Does not return.
.global panic_end
panic_end:
    mov esi, newline
    call console_puts
panic_halt:
    cli
    hlt
    jmp panic_halt

; warn: print "qboot-fw: warning: <message>" and return.
; In: ESI = NUL-terminated message.  Clobbers: EAX, EDX, ESI.
.global warn
warn:
    push esi
    mov esi, warn_prefix
    call console_puts
    pop esi
    call console_puts
    mov esi, newline
    jmp console_puts

; console_puts: write a NUL-terminated string to COM1 and the debug console (setting the
; UART up on first use: console_ready).
; In: ESI = string.  Out: ESI past the NUL.  Clobbers: EAX, EDX.
.global console_puts
console_puts:
    bts dword ptr [console_ready], 0
    jc puts_next
    call uart_init
puts_next:
    lodsb
    test al, al
    jz puts_done
    mov dx, DEBUGCON_PORT
    out dx, al
    mov ah, al
uart_wait:
    mov dx, COM1 + UART_LSR
    in al, dx
    test al, UART_LSR_THRE
    jz uart_wait
    mov al, ah
    mov dx, COM1 + UART_THR
    out dx, al
    jmp puts_next
puts_done:
    ret

; uart_init: 115200 8N1, no interrupts.  Clobbers: EAX, EDX.
uart_init:
    mov dx, COM1 + UART_IER
    xor al, al
    out dx, al
    mov dx, COM1 + UART_LCR
    mov al, UART_LCR_DLAB
    out dx, al
    mov dx, COM1 + UART_DLL
    mov al, UART_DIVISOR_115200
    out dx, al
    mov dx, COM1 + UART_DLM
    xor al, al
    out dx, al
    mov dx, COM1 + UART_LCR
    mov al, UART_LCR_8N1
    out dx, al
    ret

panic_prefix:
    .asciz "qboot-fw: panic: "
warn_prefix:
    .asciz "qboot-fw: warning: "
newline:
    .asciz "\r\n"
