; INT 19h and INT 18h as the BIOS Boot Specification 1.01 defines them for a boot from disk
; (6.5.1 "Bootstrap", 6.5.2 "Boot Failure"; real mode, CS = F000h, installed with INT 13h).

; disk_int19 (INT 19h, bootstrap loader): read sector 0 of drive 80h to 0000:7C00 again and
; enter it as the firmware did (DL = 80h, SS:SP = 0000:7C00, DS = ES = 0); when it cannot
; be read or has no boot signature, INT 18h.  Does not return.
.global disk_int19
disk_int19:
    mov ebp, disk_int19_pm
    call bios16_call32
    jc disk_int18
    cli
    xor ax, ax
    mov ss, ax
    mov sp, BOOT_STACK_TOP
    mov ds, ax
    mov es, ax
    mov dx, BOOT_DRIVE_FIRST_HD
    sti
    ; jmp 0000:7C00 (EA ptr16:16)
    .byte 0xEA
    .word BOOT_SECTOR_ADDRESS
    .word 0

; disk_int18 (INT 18h, boot failure: the boot sector or its loader found nothing to boot):
; say so on COM1 and the debug console and halt (disk_int18_pm).  Does not return.
.global disk_int18
disk_int18:
    mov ebp, disk_int18_pm
    call bios16_call32
disk_int18_halt:
    cli
    hlt
    jmp disk_int18_halt
