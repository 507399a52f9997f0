; Real mode to 32-bit flat protected mode, in the first instructions after reset
; (Intel SDM Vol. 3A, 9.9.1 "Switching to Protected Mode").
; In: real mode, interrupts off (reset.asm).  Out: far jump to entry32 with CS=SEL_CODE32.
; Clobbers: EAX.  The GDT is addressed through the F-segment alias so that its base fits the
; 24 bits a 16-bit LGDT loads.
.global entry16
entry16:
    lgdt cs:[gdt_descriptor - FSEG_BASE]
    mov eax, cr0
    or al, CR0_PE
    mov cr0, eax
    ; jmp dword SEL_CODE32:entry32 (an o32 far jump: 66 EA ptr16:32), spelled out because
    ; the target is above 1 MiB
    .byte 0x66, 0xEA
    .long entry32
    .word SEL_CODE32
