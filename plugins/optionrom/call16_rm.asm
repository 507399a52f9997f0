; The 16-bit half of optionrom_far_call (call16.asm): from the 16-bit protected-mode code
; segment to real mode, the far call, and back to 32-bit protected mode.  Runs from the
; F-segment (CS = F000h in real mode), which the board has filled with the ROM's fseg region.

; optionrom_pm16: entered by a far jump to SEL_CODE16 with the real-mode IDTR loaded and
; interrupts off.  In: EAX = the target's AX, EBX = the target (segment << 16 | offset),
; ECX = SP, EDX = SS.  Does not return: comes back at optionrom_back32 with EAX = the
; target's EAX.  Clobbers: everything but EBP's saved copy on the firmware stack.
.global optionrom_pm16
optionrom_pm16:
    mov si, SEL_DATA16
    mov ds, si
    mov es, si
    mov fs, si
    mov gs, si
    mov ss, si
    mov esi, cr0
    and si, 0xFFFF - CR0_PE
    mov cr0, esi
    ; jmp FSEG_SEGMENT:optionrom_rm (EA ptr16:16)
    .byte 0xEA
    .word optionrom_rm - FSEG_BASE
    .word FSEG_SEGMENT
optionrom_rm:
    mov ss, dx
    mov sp, cx
    xor si, si
    mov ds, si
    mov es, si
    mov fs, si
    mov gs, si
    ; the target as a far pointer on the stack, called through [bp]
    push ebx
    mov bp, sp
    mov bx, OPROM_NO_ISA
    mov dx, OPROM_NO_ISA
    mov di, OPROM_NO_ISA
    ; call far [bp] (FF /3, mod 01 r/m 110: FF 5E 00), spelled out for keystone
    .byte 0xFF, 0x5E, 0x00
    cli
    cld
    ; back: the firmware's GDT through the F-segment (its base fits a 16-bit LGDT), PE,
    ; then a 32-bit far jump
    lgdt cs:[gdt_descriptor - FSEG_BASE]
    mov esi, cr0
    or si, CR0_PE
    mov cr0, esi
    ; jmp dword SEL_CODE32:optionrom_back32 (66 EA ptr16:32)
    .byte 0x66, 0xEA
    .long optionrom_back32
    .word SEL_CODE32

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
; the VGA BIOS's INT 10h vector (offset, segment), written before the F-segment is locked
.global optionrom_vga_vector
optionrom_vga_vector:
    .long 0
