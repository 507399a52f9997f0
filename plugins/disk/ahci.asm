; AHCI disks (constants: ahci.inc): the first port with an ATA disk of an AHCI controller,
; driven by DMA through command slot 0, polled in memory (the D2H FIS in the received-FIS
; area), so a request of any size is one device access (the PxCI write).

; ahci_init: enable AHCI, find the first implemented port with an ATA disk, give it the
; drive block's command list and FIS area, start it, IDENTIFY it for its capacity.
; In: EBX = bdf, EDI = the drive block (AHCI_DRV_SIZE bytes, AHCI_DRV_ALIGN-aligned,
; zeroed).  Out: CF clear: ready for disk_rw; CF set: no usable disk.
; Clobbers: EAX, ECX, EDX, ESI.
.global ahci_init
ahci_init:
    mov [edi + DRV_BDF], ebx
    mov dword ptr [edi + DRV_RW], ahci_rw
    mov eax, AHCI_ABAR_INDEX
    call disk_pci_bar
    jc ahci_fail
    mov esi, eax
    or dword ptr [esi + AHCI_GHC], AHCI_GHC_AE
    mov edx, [esi + AHCI_PI]
    lea esi, [esi + AHCI_PORT_BASE]
ahci_port:
    test edx, edx
    jz ahci_fail
    shr edx, 1
    jnc ahci_port_next
    mov eax, [esi + AHCI_PXSSTS]
    and eax, AHCI_SSTS_DET_MASK
    cmp eax, AHCI_SSTS_DET_PRESENT
    jne ahci_port_next
    ; a device: give it the FIS area and command list; the HBA latches its signature
    ; once FIS reception is on (QEMU hw/ide/ahci.c, ahci_init_d2h)
    lea eax, [edi + AHCI_DRV_LIST]
    mov [esi + AHCI_PXCLB], eax
    mov dword ptr [esi + AHCI_PXCLB + 4], 0
    lea eax, [edi + AHCI_DRV_FIS]
    mov [esi + AHCI_PXFB], eax
    mov dword ptr [esi + AHCI_PXFB + 4], 0
    mov dword ptr [esi + AHCI_PXCMD], AHCI_PXCMD_FRE
    cmp dword ptr [esi + AHCI_PXSIG], AHCI_SIG_ATA
    je ahci_port_found
    mov dword ptr [esi + AHCI_PXCMD], 0     ; not a disk (ATAPI): FIS reception off again
ahci_port_next:
    add esi, 1 << AHCI_PORT_SHIFT
    jmp ahci_port
ahci_port_found:
    mov [edi + AHCI_PORT], esi
    mov dword ptr [esi + AHCI_PXCMD], AHCI_PXCMD_FRE | AHCI_PXCMD_ST
    lea eax, [edi + AHCI_DRV_TABLE]
    mov [edi + AHCI_DRV_LIST + AHCI_CH_CTBA], eax
    ; IDENTIFY DEVICE: one sector of data
    mov ebx, ATA_CMD_IDENTIFY
    xor eax, eax
    xor edx, edx
    mov ecx, 1
    mov esi, AHCI_IDENTIFY_BUFFER
    call ahci_command
    jnc disk_ata_capacity
ahci_fail:
    mov ebx, [edi + DRV_BDF]
    stc
    ret

; ahci_rw (a drive block's DRV_RW; disk_rw contract: EDI = drive block, EDX:EAX = first
; sector, ECX = sectors, at most 8191 (4 MiB, one PRD), ESI = buffer, EBX = 0 read, 1 write).
; Out: CF set on an error.  Clobbers: EAX, ECX, EDX.  One device access.
ahci_rw:
    push ebx
    test ebx, ebx
    mov ebx, ATA_CMD_READ_DMA_EXT
    jz ahci_rw_go
    mov ebx, ATA_CMD_WRITE_DMA_EXT
ahci_rw_go:
    call ahci_command
    pop ebx
    ret

; ahci_command: one ATA command with a data transfer, in slot 0.
; In: EDI = drive block, EBX = ATA command (WRITE DMA EXT writes, the others read),
; EDX:EAX = LBA, ECX = sectors, ESI = buffer.  Out: CF set on an error or no answer.
; Clobbers: EAX, ECX, EDX.
ahci_command:
    ; the command FIS: LBA48 bytes 0-2 and 3-5, the count
    mov byte ptr [edi + AHCI_DRV_TABLE], FIS_TYPE_H2D
    mov byte ptr [edi + AHCI_DRV_TABLE + 1], FIS_H2D_COMMAND
    mov [edi + AHCI_DRV_TABLE + FIS_COMMAND], bl
    mov [edi + AHCI_DRV_TABLE + FIS_LBA_LOW], eax
    mov byte ptr [edi + AHCI_DRV_TABLE + FIS_DEVICE], ATA_DEVICE_LBA
    shrd eax, edx, 24
    mov [edi + AHCI_DRV_TABLE + FIS_LBA_HIGH], eax
    mov [edi + AHCI_DRV_TABLE + FIS_COUNT], ecx
    ; one PRD for the whole buffer
    mov [edi + AHCI_DRV_TABLE + AHCI_CT_PRDT + AHCI_PRD_DBA], esi
    shl ecx, SECTOR_SHIFT
    dec ecx
    mov [edi + AHCI_DRV_TABLE + AHCI_CT_PRDT + AHCI_PRD_DBC], ecx
    mov eax, AHCI_CH_CFL_H2D | AHCI_CH_ONE_PRD
    cmp ebx, ATA_CMD_WRITE_DMA_EXT
    jne ahci_header
    or eax, AHCI_CH_WRITE
ahci_header:
    mov [edi + AHCI_DRV_LIST + AHCI_CH_FLAGS], eax
    mov dword ptr [edi + AHCI_DRV_LIST + AHCI_CH_FLAGS + 4], 0
    ; issue; the HBA posts a D2H register FIS when the command is done
    mov byte ptr [edi + AHCI_DRV_FIS + AHCI_RFIS_D2H], 0
    mov edx, [edi + AHCI_PORT]
    mov dword ptr [edx + AHCI_PXCI], 1
    mov ecx, AHCI_POLLS
ahci_poll:
    cmp byte ptr [edi + AHCI_DRV_FIS + AHCI_RFIS_D2H], FIS_TYPE_D2H
    je ahci_done
    pause
    dec ecx
    jnz ahci_poll
    stc
    ret
ahci_done:
    test byte ptr [edi + AHCI_DRV_FIS + AHCI_RFIS_D2H + FIS_STATUS], ATA_STATUS_ERR
    jnz ahci_error
    clc
    ret
ahci_error:
    stc
    ret
