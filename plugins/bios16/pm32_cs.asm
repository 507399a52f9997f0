; bios16_pm32_cs: bios16_pm32's first 32-bit instruction (CS = SEL_CODE32): flat data
; segments (SEL_DATA32), then on to the continuation.  In: ESP = its linear address.
; Clobbers: EAX.  Does not return.
.global bios16_pm32_cs
bios16_pm32_cs:
    mov eax, SEL_DATA32
    mov ds, eax
    mov es, eax
    mov fs, eax
    mov gs, eax
    mov ss, eax
    jmp esp
