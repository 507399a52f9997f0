; The firmware's GDT (selectors in x86.inc), placed in the F-segment alias.
.global gdt, gdt_descriptor
gdt:
    .quad 0                  ; 0x00 null
    .quad 0                  ; 0x08 unused
    .quad GDT_CODE32_FLAT    ; 0x10 SEL_CODE32 (Linux __BOOT_CS)
    .quad GDT_DATA32_FLAT    ; 0x18 SEL_DATA32 (Linux __BOOT_DS)
    .quad GDT_CODE16_64K     ; 0x20 SEL_CODE16, for returning to real mode
    .quad GDT_DATA16_64K     ; 0x28 SEL_DATA16
gdt_descriptor:
    .word GDT_ENTRIES * 8 - 1
    .long gdt
