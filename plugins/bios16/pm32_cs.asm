; bios16_pm32_cs: bios16_pm32's first 32-bit instruction (CS = SEL_CODE32): on to the
; continuation.  In: ESP = its linear address.  Does not return.
.global bios16_pm32_cs
bios16_pm32_cs:
    jmp esp
