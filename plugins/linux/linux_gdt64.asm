; The GDT for the 64-bit entry: __BOOT_CS (0x10) a 64-bit code segment, __BOOT_DS (0x18)
; flat data (boot.rst, "64-bit Boot Protocol").
.global linux_gdt64_descriptor
linux_gdt64:
    .quad 0
    .quad 0
    .quad GDT_CODE64
    .quad GDT_DATA32_FLAT
linux_gdt64_descriptor:
    .word 4 * 8 - 1
    .long linux_gdt64
