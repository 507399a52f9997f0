; The 32-bit sides of INT 19h and INT 18h (bbs_rm.asm), called through bios16_call32.

; disk_int19_pm: sector 0 of drive 80h to 0000:7C00.  Out: CF clear when it was read and
; has the boot signature; CF set otherwise.  Clobbers: EAX, EBX, ECX, EDX, ESI, EDI, EBP.
.global disk_int19_pm
disk_int19_pm:
    movzx edi, word ptr [BDA_EBDA_SEGMENT]
    shl edi, 4
    mov edi, [edi + EBDA_DISK + EBDA_DISK_DRIVES]
    test edi, edi
    ; the boot sector's read and check: disk_boot_sector (disk_boot.asm)
    jnz disk_boot_sector
    stc
    ret

; disk_int18_pm: the boot failure message; does not return (panic).
.global disk_int18_pm
disk_int18_pm:
    mov esi, msg_int18
    jmp panic

msg_int18:
    .asciz "boot failure (INT 18h): the boot sector or its loader found nothing to boot from drive 80h"
