; bios16_sysconf: the system configuration table INT 15h AH=C0h points at (bios16.inc,
; RBIL "INT 15 - AH=C0h", Table 00509): length, model, submodel, BIOS revision, five
; feature bytes.
.global bios16_sysconf
bios16_sysconf:
    .word SYSCONF_LENGTH
    .byte SYSCONF_MODEL, SYSCONF_SUBMODEL, SYSCONF_REVISION, SYSCONF_FEATURE1
    .byte 0, 0, 0, 0
