; bios16_pm32: from real mode into the firmware's 32-bit protected mode (Intel SDM Vol. 3A,
; 9.9.1 "Switching to Protected Mode"), for bios16_call32 (call32.asm) and
; bios16_call16_return (call16_rm.asm).  Turns A20 on through port 92h when it is off (the
; firmware runs from the ROM's high alias, which A20 masked would move), loads the
; firmware's GDT (in the F-segment: its base fits the 24 bits of an o16 LGDT), sets CR0.PE
; and far-jumps to SEL_CODE32:bios16_pm32_cs (pm32_cs.asm), which loads flat data segments
; and jumps to the continuation (CS = SEL_CODE32, DS = ES = FS = GS = SS = SEL_DATA32, ESP =
; its own address: it loads its stack).
; In:  real mode, CS = FSEG_SEGMENT, interrupts off; AL = port 92h as read; ESP = the
;      linear address of the 32-bit continuation (the caller's SS:SP is saved: the
;      continuation loads its own stack and data segments).
; Clobbers: EAX.  Device accesses: one write to port 92h when A20 was off.  Does not return.
.global bios16_pm32
bios16_pm32:
    test al, A20_ENABLE
    jnz pm32_a20_on
    or al, A20_ENABLE
    and al, ~PORT_A20_RESET & 0xFF
    out PORT_A20, al
pm32_a20_on:
    lgdt cs:[gdt_descriptor - FSEG_BASE]
    mov eax, cr0
    or al, CR0_PE
    mov cr0, eax
    ; jmp dword SEL_CODE32:bios16_pm32_cs (66 EA ptr16:32)
    .byte 0x66, 0xEA
    .long bios16_pm32_cs
    .word SEL_CODE32
