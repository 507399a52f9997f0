; bios16_int10 (INT 10h, video; RBIL "INT 10"): there is no screen; text goes to COM1.
;  AH = 0Eh (teletype): In: AL = character.  Written to COM1 (THR, after polling the line
;       status at most UART_POLLS times).
;  AH = 03h (cursor): Out: DH, DL = row, column from 40:50h (page 0); CX = the cursor shape.
;  AH = 08h (character at the cursor): Out: AX = a blank cell (space, grey on black).
;  AH = 0Fh (mode): Out: AL = 03h (80x25 text), AH = 80 columns, BH = page 0.
;  anything else (setting modes, the cursor, writing with attributes, VBE...): nothing;
;       registers unchanged, so callers that check for support see none.
; Out: nothing else changes.
.global bios16_int10
bios16_int10:
    cmp ah, VIDEO_TELETYPE
    je video_teletype
    cmp ah, VIDEO_GET_CURSOR
    je video_cursor
    cmp ah, VIDEO_READ_CHAR
    je video_read
    cmp ah, VIDEO_GET_MODE
    je video_mode
    iret
video_teletype:
    push ax
    push cx
    push dx
    mov ah, al
    mov cx, UART_POLLS
    mov dx, COM1 + UART_LSR
video_poll:
    in al, dx
    test al, UART_LSR_THRE
    jnz video_send
    dec cx
    jnz video_poll
video_send:
    mov al, ah
    mov dx, COM1 + UART_THR
    out dx, al
    pop dx
    pop cx
    pop ax
    iret
video_cursor:
    push ds
    xor dx, dx
    mov ds, dx
    mov dx, word ptr [BDA_CURSOR_POS]
    pop ds
    mov cx, VIDEO_CURSOR_SHAPE
    iret
video_read:
    mov ax, VIDEO_BLANK_CELL
    iret
video_mode:
    mov ax, (VIDEO_COLUMNS << 8) | VIDEO_MODE_TEXT80
    xor bh, bh
    iret
