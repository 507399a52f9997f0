; optionrom_rm (the real-mode part of optionrom_far_call, entered from optionrom_pm16):
; In: EAX = the target's AX, EBX = the target (segment << 16 | offset), ECX = SP, EDX = SS.
; Does not return: comes back at optionrom_back32 with EAX = the target's EAX.
.global optionrom_rm
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
