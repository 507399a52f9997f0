; bios16_fatal: the panic of a fatal real-mode vector (fatal.asm), run by bios16_call32.
; In: EAX = the vector, ECX = CS << 16 | IP from its INT frame.  Prints
; "qboot-fw: panic: real-mode INT xxh at cccc:iiii: <why>" on COM1 and the debug console
; and halts.  Does not return.
.global bios16_fatal
bios16_fatal:
    mov edi, eax
    push ecx
    mov esi, msg_fatal_int
    call panic_begin
    call console_puts
    mov ebx, edi
    mov ecx, 2
    call fatal_hex
    mov esi, msg_fatal_at
    call console_puts
    mov ebx, [esp]
    shr ebx, 16
    mov ecx, 4
    call fatal_hex
    mov esi, msg_fatal_colon
    call console_puts
    pop ebx
    mov ecx, 4
    call fatal_hex
    mov esi, msg_fatal_exception
    cmp edi, INT_BOOT_FAILED
    jne fatal_not18
    mov esi, msg_fatal_int18
fatal_not18:
    cmp edi, INT_BOOTSTRAP
    jne fatal_print
    mov esi, msg_fatal_int19
fatal_print:
    call console_puts
    jmp panic_end

; fatal_hex: print the low ECX (1-8) hexadecimal digits of EBX.  Clobbers: EAX, EBX,
; ECX, EDX, ESI.
fatal_hex:
    push ecx
    neg ecx
    add ecx, 8
    shl ecx, 2
    rol ebx, cl
    pop ecx
hex_next:
    rol ebx, 4
    mov eax, ebx
    and eax, 0x0F
    add al, HEX_DIGIT_0
    cmp al, HEX_DIGIT_9
    jbe hex_digit
    add al, HEX_LETTER_OFFSET
hex_digit:
    push eax
    mov esi, esp
    push ecx
    call console_puts
    pop ecx
    pop eax
    loop hex_next
    ret

msg_fatal_int:
    .asciz "real-mode INT "
msg_fatal_at:
    .asciz "h at "
msg_fatal_colon:
    .asciz ":"
msg_fatal_exception:
    .asciz ": a CPU exception (divide error, debug, breakpoint, overflow, BOUND range, invalid opcode, no FPU, stack fault or general protection) in the real-mode program"
msg_fatal_int18:
    .asciz ": the real-mode program found nothing (more) to boot (INT 18h); this ROM tried the kernel QEMU loaded (-kernel) and has no boot devices"
msg_fatal_int19:
    .asciz ": the real-mode program asked the BIOS to boot (INT 19h); this ROM boots only the kernel QEMU loads (-kernel) and has no boot devices"
