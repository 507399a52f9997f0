; bios16_int16 (INT 16h, keyboard; RBIL "INT 16 - AH=00h/01h/02h/05h" and 10h-12h, which
; behave the same here): keys come from COM1 (so prompts work over QEMU's -serial) and
; from the i8042 when it has a byte that is not mouse data (scan code set 1, which
; bios16_timer_start asks the controller to translate to): AH = the scan code, AL = the
; character on a US keyboard (bios16_kbd_plain/shift, Ctrl: its control code) or 0; Shift,
; Ctrl and Alt tracked in 40:17h.  A key seen by AH=01h waits in the EBDA (EBDA_KBD_KEY)
; for AH=00h.  Serial keys: AL = the byte, AH = 0.
;  AH = 00h/10h: wait for a key (interrupts enabled while waiting).  Out: AX = the key.
;  AH = 01h/11h: Out: ZF clear and AX = the next key (still waiting), or ZF set: none.
;  AH = 02h/12h: Out: AL = the shift flags (40:17h), AH = 0 for 12h.
;  AH = 05h: In: CX = a key.  Out: AL = 0 (stored; it replaces a key waiting), CF clear.
;  anything else: CF set, registers unchanged.
; Device accesses: 2 per poll (COM1 line status, i8042 status), 1 more to read a key.
.global bios16_int16
bios16_int16:
    push ax
    and ah, ~KBD_ENHANCED & 0xFF
    cmp ah, KBD_READ
    je kbd_read
    cmp ah, KBD_CHECK
    je kbd_check
    cmp ah, KBD_SHIFT_FLAGS
    je kbd_shift
    cmp ah, KBD_STORE
    je kbd_store
    pop ax
    jmp bios16_ret_cf
kbd_read:
    pop ax
    sti
kbd_wait:
    call kbd_peek
    jz kbd_wait
    cli
    push ds
    push bx
    xor bx, bx
    mov ds, bx
    mov ds, word ptr [BDA_EBDA_SEGMENT]
    mov byte ptr [EBDA_KBD_HAVE], 0
    pop bx
    pop ds
    iret
kbd_check:
    pop ax
    call kbd_peek
    push bp
    mov bp, sp
    jz kbd_none
    and byte ptr [bp + IRET_FRAME_FLAGS], ~FLAGS_ZF & 0xFF
    pop bp
    iret
kbd_none:
    or byte ptr [bp + IRET_FRAME_FLAGS], FLAGS_ZF
    pop bp
    iret
kbd_shift:
    pop ax
    push ds
    xor ax, ax
    mov ds, ax
    mov al, byte ptr [BDA_SHIFT_FLAGS]
    pop ds
    iret
kbd_store:
    pop ax
    push ds
    xor ax, ax
    mov ds, ax
    mov ds, word ptr [BDA_EBDA_SEGMENT]
    mov word ptr [EBDA_KBD_KEY], cx
    mov byte ptr [EBDA_KBD_HAVE], 1
    pop ds
    xor al, al
    jmp bios16_ret_nc

; kbd_peek: Out: ZF clear with AX = the key waiting (read from COM1 or the i8042 into the
; EBDA if none was there yet), ZF set when there is none.  Clobbers: AX when ZF is set.
kbd_peek:
    push ds
    push dx
    xor dx, dx
    mov ds, dx
    mov ds, word ptr [BDA_EBDA_SEGMENT]
    cmp byte ptr [EBDA_KBD_HAVE], 0
    jne peek_have
    mov dx, COM1 + UART_LSR
    in al, dx
    test al, UART_LSR_DR
    jz peek_i8042
    mov dx, COM1 + UART_RBR
    in al, dx
    xor ah, ah
    jmp peek_got
peek_i8042:
    in al, I8042_STATUS
    and al, I8042_OBF | I8042_AUX
    cmp al, I8042_OBF
    jne peek_none
    in al, I8042_DATA
    call kbd_scancode
    jz peek_none
peek_got:
    mov word ptr [EBDA_KBD_KEY], ax
    mov byte ptr [EBDA_KBD_HAVE], 1
peek_have:
    mov ax, word ptr [EBDA_KBD_KEY]
    ; ZF clear
    or dl, 1
    pop dx
    pop ds
    ret
peek_none:
    xor ax, ax
    pop dx
    pop ds
    ret

; kbd_scancode: In: AL = a byte from the i8042 (scan code set 1).  Out: ZF clear with AX =
; the key (AH = scan code, AL = its character or 0), or ZF set (AX = 0) for a byte that is
; no key press: a release, the E0h/E1h prefixes, Shift/Ctrl/Alt going down or up (tracked
; in 40:17h).  Clobbers: nothing else.
kbd_scancode:
    push ds
    push bx
    xor bx, bx
    mov ds, bx
    mov ah, al
    and al, ~I8042_BREAK & 0xFF
    mov bl, KBD_FLAG_RSHIFT
    cmp al, SC_RSHIFT
    je sc_modifier
    mov bl, KBD_FLAG_LSHIFT
    cmp al, SC_LSHIFT
    je sc_modifier
    mov bl, KBD_FLAG_CTRL
    cmp al, SC_CTRL
    je sc_modifier
    mov bl, KBD_FLAG_ALT
    cmp al, SC_ALT
    je sc_modifier
    test ah, I8042_BREAK
    jnz sc_none
    xor bh, bh
    mov bl, ah
    xor al, al
    cmp bl, SC_LAST_CHARACTER
    ja sc_key
    test byte ptr [BDA_SHIFT_FLAGS], KBD_FLAG_RSHIFT | KBD_FLAG_LSHIFT
    jnz sc_shifted
    mov al, byte ptr cs:[bx + bios16_kbd_plain - FSEG_BASE]
    jmp sc_ctrl
sc_shifted:
    mov al, byte ptr cs:[bx + bios16_kbd_shift - FSEG_BASE]
sc_ctrl:
    test byte ptr [BDA_SHIFT_FLAGS], KBD_FLAG_CTRL
    jz sc_key
    and al, KBD_CONTROL_CODE_MASK
sc_key:
    ; ZF clear (BH was 0)
    or bh, 1
    pop bx
    pop ds
    ret
sc_modifier:
    test ah, I8042_BREAK
    jnz sc_release
    or byte ptr [BDA_SHIFT_FLAGS], bl
    jmp sc_none
sc_release:
    not bl
    and byte ptr [BDA_SHIFT_FLAGS], bl
sc_none:
    xor ax, ax
    pop bx
    pop ds
    ret
