; The boot timeline of a traced build (docs/run.md): after every step of the init chain, and
; once more at the end of handoff, a line "<name> <tsc>" on the debug console, the TSC as 16
; hexadecimal digits.  Printing costs one port write per character, so each mark measures
; its own printing and subtracts the running total from every later count: the counts are
; the timeline of the same boot without the printing (less a few instructions per mark).

.bss trace_overhead, 8      ; TSC ticks spent printing so far (64 bits)

; trace_start (step, stage chipset, first of all): does nothing; the mark after it dates the
; start of the init chain (reset vector, protected mode, bss cleared).  Clobbers: nothing.
.global trace_start
trace_start:
    ret

; trace_mark (the trace feature's after_step routine): print "<name> <tsc - overhead>".
; In: ESI = the step's name (NUL-terminated).  Clobbers: EAX, ECX, EDX, ESI, EDI.
.global trace_mark
trace_mark:
    rdtsc
    push edx                        ; [esp + 4]: the TSC at entry, high half
    push eax                        ; [esp]: low half
    mov dx, DEBUGCON_PORT
trace_name:
    lodsb
    test al, al
    jz trace_name_end
    out dx, al
    jmp trace_name
trace_name_end:
    mov al, ASCII_SPACE
    out dx, al
    mov eax, [esp]
    mov edi, [esp + 4]
    sub eax, [trace_overhead]
    sbb edi, [trace_overhead + 4]
    push eax
    mov eax, edi
    call trace_hex32
    pop eax
    call trace_hex32
    mov al, ASCII_LF
    out dx, al
    ; overhead += TSC now - TSC at entry
    rdtsc
    sub eax, [esp]
    sbb edx, [esp + 4]
    add [trace_overhead], eax
    adc [trace_overhead + 4], edx
    add esp, 8
    ret

; trace_handoff (step, stage handoff, last): the loader has loaded the kernel and is about to
; enter it; mark "handoff", then print the total printing cost as "trace_overhead <ticks>".
; Clobbers: EAX, ECX, EDX, ESI, EDI.
.global trace_handoff
trace_handoff:
    mov esi, name_handoff
    call trace_mark
    mov esi, name_overhead
    mov dx, DEBUGCON_PORT
trace_overhead_name:
    lodsb
    test al, al
    jz trace_overhead_value
    out dx, al
    jmp trace_overhead_name
trace_overhead_value:
    mov al, ASCII_SPACE
    out dx, al
    mov eax, [trace_overhead + 4]
    call trace_hex32
    mov eax, [trace_overhead]
    call trace_hex32
    mov al, ASCII_LF
    out dx, al
    ret

; trace_hex32: print EAX as 8 hexadecimal digits on the debug console.
; Out: DX = DEBUGCON_PORT.  Clobbers: EAX, ECX, EDI.
trace_hex32:
    mov edi, eax
    mov ecx, TRACE_DIGITS_PER_DWORD
    mov dx, DEBUGCON_PORT
trace_hex_digit:
    rol edi, TRACE_NIBBLE_BITS
    mov eax, edi
    and eax, TRACE_NIBBLE_MASK
    mov al, [trace_digits + eax]
    out dx, al
    dec ecx
    jnz trace_hex_digit
    ret

trace_digits:
    .ascii "0123456789abcdef"
name_handoff:
    .asciz "handoff"
name_overhead:
    .asciz "trace_overhead"
