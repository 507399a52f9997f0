; IDE disks (constants: ide.inc): the primary master of a PCI IDE controller in compatibility
; mode (pc's PIIX3 -hda), LBA48, by bus-master DMA.  IDENTIFY is the only PIO transfer.

; ide_init: find the primary master, IDENTIFY it for its capacity, set up bus mastering.
; In: EBX = bdf, EDI = the drive block (DRV_BLOCK_SIZE bytes, zeroed).
; Out: CF clear: ready for disk_rw; CF set: no disk there.  Clobbers: EAX, ECX, EDX, ESI.
.global ide_init
ide_init:
    mov [edi + DRV_BDF], ebx
    mov dword ptr [edi + DRV_RW], ide_rw
    mov eax, IDE_BMIDE_INDEX
    call disk_pci_io_bar
    jc ide_init_fail
    mov [edi + IDE_BM], eax
    mov dx, IDE_CONTROL
    mov al, IDE_CONTROL_NIEN
    out dx, al
    mov dx, IDE_DEVICE
    mov al, ATA_DEVICE_LBA
    out dx, al
    mov dx, IDE_COMMAND
    in al, dx
    cmp al, IDE_STATUS_NONE
    je ide_init_fail
    test al, al
    jz ide_init_fail
    mov al, ATA_CMD_IDENTIFY
    out dx, al
    call ide_wait
    jc ide_init_fail
    test al, IDE_STATUS_DRQ
    jz ide_init_fail
    push edi
    mov edi, AHCI_IDENTIFY_BUFFER
    mov ecx, IDE_WORDS_PER_SECTOR
    mov dx, IDE_DATA
    ; rep insw (66 F3 6D: keystone and GNU as order the two prefixes differently)
    .byte 0x66, 0xF3, 0x6D
    pop edi
    jmp disk_ata_capacity
ide_init_fail:
    mov ebx, [edi + DRV_BDF]
    stc
    ret

; ide_wait: poll the status until BSY clears.  Out: CF clear, AL = status without ERR;
; CF set: ERR, or still busy after IDE_POLLS reads.  Clobbers: ECX, EDX.
ide_wait:
    mov ecx, IDE_POLLS
    mov dx, IDE_COMMAND
ide_wait_poll:
    in al, dx
    test al, IDE_STATUS_BSY
    jz ide_wait_done
    pause
    dec ecx
    jnz ide_wait_poll
    stc
    ret
ide_wait_done:
    test al, IDE_STATUS_ERR
    jnz ide_wait_error
    clc
    ret
ide_wait_error:
    stc
    ret

; ide_rw (a drive block's DRV_RW; disk_rw contract: EDI = drive block, EDX:EAX = first
; sector, ECX = sectors (1 .. IDE_MAX_SECTORS), ESI = buffer, EBX = 0 read, 1 write).
; Out: CF set on an error.  Clobbers: EAX, ECX, EDX.  About 17 port accesses per request,
; whatever its size, and one more per IDE_POLL_SPIN-PAUSE wait while the device works.
ide_rw:
    cmp ecx, IDE_MAX_SECTORS
    ja ide_rw_refused
    push ebx
    push esi
    push edi
    push eax
    push edx
    push ecx
    ; the PRD table: the buffer cut at 64 KiB boundaries
    shl ecx, SECTOR_SHIFT
    lea edi, [edi + IDE_PRDT]
ide_prd:
    mov eax, esi
    or eax, PRD_BOUNDARY - 1
    inc eax
    sub eax, esi                    ; bytes to the next 64 KiB boundary
    cmp eax, ecx
    jbe ide_prd_part
    mov eax, ecx
ide_prd_part:
    mov [edi], esi
    mov [edi + 4], eax              ; a count of 10000h is 0 in the 16-bit field
    and dword ptr [edi + 4], PRD_BOUNDARY - 1
    add esi, eax
    add edi, PRD_SIZE
    sub ecx, eax
    jnz ide_prd
    or dword ptr [edi - PRD_SIZE + 4], PRD_EOT
    mov edi, [esp + 12]             ; the drive block
    ; the bus master: table, status cleared, direction
    mov edx, [edi + IDE_BM]
    add edx, BM_PRDT
    lea eax, [edi + IDE_PRDT]
    out dx, eax
    sub edx, BM_PRDT - BM_STATUS
    mov al, BM_STATUS_CLEAR
    out dx, al
    sub edx, BM_STATUS - BM_COMMAND
    xor eax, eax
    test ebx, ebx
    jnz ide_direction
    mov al, BM_READ
ide_direction:
    out dx, al
    mov bh, al                      ; BM_READ or 0, for the start
    ; the task file, LBA48: high-order bytes first (ATA8-ACS, 4.16 "48-bit Address feature
    ; set")
    mov dx, IDE_DEVICE
    mov al, ATA_DEVICE_LBA
    out dx, al
    mov ecx, [esp]                  ; sectors
    mov dx, IDE_COUNT
    mov al, ch
    out dx, al
    mov eax, [esp + 8]              ; LBA 31:0
    shr eax, 24
    mov dx, IDE_LBA_LOW
    out dx, al
    mov eax, [esp + 4]              ; LBA 63:32
    mov dx, IDE_LBA_MID
    out dx, al
    mov al, ah
    mov dx, IDE_LBA_HIGH
    out dx, al
    mov dx, IDE_COUNT
    mov al, cl
    out dx, al
    mov eax, [esp + 8]
    mov dx, IDE_LBA_LOW
    out dx, al
    shr eax, 8
    mov dx, IDE_LBA_MID
    out dx, al
    shr eax, 8
    mov dx, IDE_LBA_HIGH
    out dx, al
    mov al, ATA_CMD_READ_DMA_EXT
    test bl, bl
    jz ide_command
    mov al, ATA_CMD_WRITE_DMA_EXT
ide_command:
    mov dx, IDE_COMMAND
    out dx, al
    ; start the bus master, wait until it is no longer active (its interrupt flag follows
    ; the drive's INTRQ, which nIEN keeps low: QEMU hw/ide/pci.c bmdma_irq)
    mov edx, [edi + IDE_BM]
    mov al, bh
    or al, BM_START
    out dx, al
    add edx, BM_STATUS
    mov ecx, IDE_POLLS
ide_dma_poll:
    push ecx
    mov ecx, IDE_POLL_SPIN
ide_dma_spin:
    pause
    dec ecx
    jnz ide_dma_spin
    pop ecx
    in al, dx
    test al, BM_STATUS_IRQ | BM_STATUS_ERROR
    jnz ide_dma_end
    test al, BM_STATUS_ACTIVE
    jz ide_dma_end
    dec ecx
    jnz ide_dma_poll
ide_dma_end:
    mov ah, al
    sub edx, BM_STATUS - BM_COMMAND
    xor al, al
    out dx, al                      ; stop the bus master
    call ide_wait                   ; the drive's status (reading it ends the interrupt)
    jc ide_rw_error
    test ah, BM_STATUS_ERROR | BM_STATUS_ACTIVE
    jnz ide_rw_error
    clc
    jmp ide_rw_out
ide_rw_error:
    stc
ide_rw_out:
    pop ecx
    pop edx
    pop eax
    pop edi
    pop esi
    pop ebx
    ret
ide_rw_refused:
    stc
    ret
