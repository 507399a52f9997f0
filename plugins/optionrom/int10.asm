; optionrom_int10 (real-mode INT 10h handler once a VGA BIOS has run): teletype output
; (AH = 0Eh) goes to COM1 through bios16's handler as before, then every function goes to
; the VGA BIOS's handler, whose vector optionrom_hook_int10 stored in optionrom_vga_vector.
; In/Out: as the VGA BIOS's INT 10h (bios16_int10 preserves every register and flag).
.global optionrom_int10
optionrom_int10:
    cmp ah, OPROM_TELETYPE
    jne int10_chain
    ; pushf; call FSEG_SEGMENT:bios16_int10 (9A ptr16:16): an INT without the vector
    pushf
    .byte 0x9A
    .word bios16_int10 - FSEG_BASE
    .word FSEG_SEGMENT
int10_chain:
    ; jmp far cs:[optionrom_vga_vector] (2E FF /5, mod 00 r/m 110: 2E FF 2E disp16)
    .byte 0x2E, 0xFF, 0x2E
    .word optionrom_vga_vector - FSEG_BASE
