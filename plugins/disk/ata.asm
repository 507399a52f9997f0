; What the ATA drivers (ahci.asm, ide.asm) share.

; disk_ata_capacity: the end of an ATA driver's init: the capacity from the IDENTIFY DEVICE
; data at AHCI_IDENTIFY_BUFFER (ACS-3, 7.12.7: words 100-103, the LBA48 count; 0 there:
; words 60-61) into the drive block.
; In: EDI = the drive block.  Out: DRV_SECTORS set; EBX = the drive's bdf (DRV_BDF), as the
; drivers' init returns it; CF clear.  Clobbers: EAX, ECX, EDX.
.global disk_ata_capacity
disk_ata_capacity:
    mov eax, [AHCI_IDENTIFY_BUFFER + ATA_ID_LBA48_SECTORS]
    mov edx, [AHCI_IDENTIFY_BUFFER + ATA_ID_LBA48_SECTORS + 4]
    mov ecx, eax
    or ecx, edx
    jnz ata_capacity
    mov eax, [AHCI_IDENTIFY_BUFFER + ATA_ID_LBA28_SECTORS]
ata_capacity:
    mov [edi + DRV_SECTORS], eax
    mov [edi + DRV_SECTORS + 4], edx
    mov ebx, [edi + DRV_BDF]
    clc
    ret
