; disk_int13 (INT 13h, real mode, CS = F000h): the fixed-disk services of the drives the
; disk loader found, served by disk_int13_pm (32-bit, int13.asm) through bios16_call32,
; which gets the frame's linear address in EBX.
; In/out: as INT 13h defines (int13.inc); every register not an output preserved.  CF
; and the caller's other flags are in the interrupt frame, which disk_int13_pm edits.
; Stack: 36 bytes of the caller's, plus bios16_call32's 12.
.global disk_int13
disk_int13:
    push ds
    push es
    pushad
    xor ebx, ebx
    mov bx, ss
    shl ebx, 4
    movzx ebp, sp
    add ebx, ebp
    mov ebp, disk_int13_pm
    call bios16_call32
    popad
    pop es
    pop ds
    iret
