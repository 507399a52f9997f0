; bios16_bios32_directory: the BIOS32 Service Directory header (bios16.inc), which protected-mode
; guests find by scanning 0xE0000-0xFFFFF on paragraph boundaries for "_32_".  It points at
; bios16_bios32_entry (bios32.asm); the checksum byte makes its 16 bytes sum to zero.
.global bios16_bios32_directory
bios16_bios32_directory:
    .long BIOS32_SIGNATURE
    .long bios16_bios32_entry
    .byte BIOS32_REVISION
    .byte BIOS32_LENGTH
    .byte (0 - (BIOS32_FIXED_SUM + (bios16_bios32_entry & 0xFF) + ((bios16_bios32_entry >> 8) & 0xFF) + ((bios16_bios32_entry >> 16) & 0xFF) + ((bios16_bios32_entry >> 24) & 0xFF))) & 0xFF
    .zero BIOS32_HEADER_RESERVED
