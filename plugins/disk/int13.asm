; disk_int13_pm: the 32-bit side of INT 13h (constants: int13.inc), called by disk_int13
; (int13_rm.asm) through bios16_call32 in flat protected mode.  It reads the caller's
; registers from the frame disk_int13 left on the caller's stack, serves the function with
; the drive's DRV_RW routine, and writes the outputs, CF included, back into that frame.
; In: EBX = the frame's linear address.  Out: the frame updated.
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI, EBP.
.global disk_int13_pm
disk_int13_pm:
    mov ebp, ebx
    cld
    ; the drive: DL = 80h + n, n below BDA_DISK_COUNT
    movzx eax, byte ptr [ebp + F13_DL]
    sub eax, BOOT_DRIVE_FIRST_HD
    jb i13_no_drive
    movzx ecx, byte ptr [BDA_DISK_COUNT]
    cmp eax, ecx
    jae i13_no_drive
    movzx edi, word ptr [BDA_EBDA_SEGMENT]
    shl edi, 4
    mov edi, [edi + EBDA_DISK + EBDA_DISK_DRIVES + eax * 4]
    movzx eax, byte ptr [ebp + F13_AH]
    mov esi, i13_table
i13_find:
    cmp byte ptr [esi], al
    je i13_found
    add esi, 5
    cmp esi, i13_table_end
    jb i13_find
    jmp i13_invalid
i13_found:
    jmp dword ptr [esi + 1]
i13_no_drive:
    ; not ours (a floppy, or a drive number past the last): invalid function
i13_invalid:
    mov al, DISK_STATUS_INVALID_FUNCTION
    jmp i13_error

; the exits: AH = status (also BDA_DISK_STATUS), CF = status != 0
i13_ok:
    mov al, DISK_STATUS_OK
    mov byte ptr [ebp + F13_AH], al
    mov byte ptr [BDA_DISK_STATUS], al
    and byte ptr [ebp + F13_FLAGS], ~FLAGS_CF & 0xFF
    ret
i13_not_found:
    mov al, DISK_STATUS_SECTOR_NOT_FOUND
    jmp i13_error
i13_failed:
    mov al, DISK_STATUS_CONTROLLER_FAILED
i13_error:
    mov byte ptr [ebp + F13_AH], al
    mov byte ptr [BDA_DISK_STATUS], al
    or byte ptr [ebp + F13_FLAGS], FLAGS_CF
    ret

; AH=01h: AH = the status of the last operation, CF set when it was an error
i13_status:
    mov al, byte ptr [BDA_DISK_STATUS]
    mov byte ptr [ebp + F13_AH], al
    test al, al
    jnz i13_error
    jmp i13_ok

; AH=02h/03h/04h: CHS read/write/verify.  AL = sectors, CH = cylinder 7:0, CL = sector
; 5:0 and cylinder 9:8 in 7:6, DH = head, ES:BX = buffer.  Out: AL = sectors done.
i13_chs:
    call geometry
    ; EBX = heads, ECX = cylinders; sector: 1 .. 63, head < heads, cylinder < cylinders
    movzx eax, byte ptr [ebp + F13_CL]
    and eax, CHS_SECTOR_MASK
    jz i13_not_found
    cmp eax, GEOMETRY_SPT
    ja i13_not_found
    dec eax
    push eax
    movzx eax, byte ptr [ebp + F13_CL]
    and eax, CHS_CYLINDER_HIGH_MASK
    shl eax, 2
    mov al, byte ptr [ebp + F13_CH]
    cmp eax, ecx
    jae i13_chs_bad
    imul eax, ebx
    movzx edx, byte ptr [ebp + F13_DH]
    cmp edx, ebx
    jae i13_chs_bad
    add eax, edx
    imul eax, eax, GEOMETRY_SPT
    pop edx
    add eax, edx
    xor edx, edx
    movzx ecx, byte ptr [ebp + F13_AL]
    movzx esi, word ptr [ebp + F13_ES]
    shl esi, 4
    movzx ebx, word ptr [ebp + F13_EBX]
    add esi, ebx
    movzx ebx, byte ptr [ebp + F13_AH]
    sub ebx, INT13_READ
    call transfer
    jc i13_chs_error
    jmp i13_ok
i13_chs_error:
    mov byte ptr [ebp + F13_AL], 0
    jmp i13_error
i13_chs_bad:
    pop eax
    jmp i13_not_found

; AH=08h: CH = last cylinder 7:0, CL = sectors per track | last cylinder 9:8 << 6,
; DH = last head, DL = number of drives; AX = 0, BL = 0 (fixed disk)
i13_parameters:
    call geometry
    dec ecx
    mov byte ptr [ebp + F13_CH], cl
    shr ecx, 2
    and cl, CHS_CYLINDER_HIGH_MASK
    or cl, GEOMETRY_SPT
    mov byte ptr [ebp + F13_CL], cl
    dec ebx
    mov byte ptr [ebp + F13_DH], bl
    mov al, byte ptr [BDA_DISK_COUNT]
    mov byte ptr [ebp + F13_DL], al
    mov byte ptr [ebp + F13_AL], 0
    mov byte ptr [ebp + F13_BL], 0
    jmp i13_ok

; AH=15h: AH = 03h (fixed disk), CX:DX = sectors (at most FFFFFFFFh), CF clear
i13_disk_type:
    mov eax, [edi + DRV_SECTORS]
    cmp dword ptr [edi + DRV_SECTORS + 4], 0
    je i13_type_fits
    or eax, 0xFFFFFFFF
i13_type_fits:
    mov word ptr [ebp + F13_EDX], ax
    shr eax, 16
    mov word ptr [ebp + F13_ECX], ax
    mov al, DISK_STATUS_OK
    mov byte ptr [BDA_DISK_STATUS], al
    mov byte ptr [ebp + F13_AH], DISK_TYPE_FIXED
    and byte ptr [ebp + F13_FLAGS], ~FLAGS_CF & 0xFF
    ret

; AH=41h: BX = 55AAh: BX = AA55h, AH = 30h (EDD 3.0), CX = EXT_SUPPORT
i13_ext_check:
    cmp word ptr [ebp + F13_EBX], EXT_CHECK_IN
    jne i13_invalid
    mov word ptr [ebp + F13_EBX], EXT_CHECK_OUT
    mov word ptr [ebp + F13_ECX], EXT_SUPPORT
    call i13_ok
    mov byte ptr [ebp + F13_AH], EXT_VERSION_30
    ret

; AH=42h/43h/44h: DS:SI = disk address packet; its block count becomes the blocks done
i13_ext_rw:
    movzx esi, word ptr [ebp + F13_DS]
    shl esi, 4
    movzx eax, word ptr [ebp + F13_ESI]
    add esi, eax
    cmp byte ptr [esi + DAP_SIZE], DAP_MIN_SIZE
    jb i13_invalid
    movzx ecx, word ptr [esi + DAP_BLOCKS]
    cmp ecx, DAP_MAX_BLOCKS
    ja i13_invalid
    push esi
    mov eax, [esi + DAP_BUFFER]
    cmp eax, DAP_BUFFER_FLAT
    jne i13_ext_segoff
    cmp byte ptr [esi + DAP_SIZE], DAP_FLAT_SIZE
    jb i13_ext_bad
    cmp dword ptr [esi + DAP_FLAT_BUFFER + 4], 0
    jne i13_ext_bad
    mov eax, [esi + DAP_FLAT_BUFFER]
    jmp i13_ext_go
i13_ext_segoff:
    movzx edx, ax
    shr eax, 16
    shl eax, 4
    add eax, edx
i13_ext_go:
    mov edx, [esi + DAP_LBA + 4]
    mov esi, [esi + DAP_LBA]
    xchg eax, esi
    movzx ebx, byte ptr [ebp + F13_AH]
    sub ebx, INT13_EXT_READ
    call transfer
    pop esi
    jc i13_ext_error
    jmp i13_ok
i13_ext_error:
    mov word ptr [esi + DAP_BLOCKS], 0
    jmp i13_error
i13_ext_bad:
    pop esi
    jmp i13_invalid

; AH=48h: DS:SI = result buffer, its first word the size the caller has room for (at
; least 1Ah).  Fills the EDD 1.1 table, and the DPTE pointer (none) when there is room.
i13_ext_parameters:
    movzx esi, word ptr [ebp + F13_DS]
    shl esi, 4
    movzx eax, word ptr [ebp + F13_ESI]
    add esi, eax
    movzx eax, word ptr [esi + EDD_SIZE]
    cmp eax, EDD_SIZE_11
    jb i13_invalid
    mov edx, EDD_SIZE_11
    cmp eax, EDD_SIZE_20
    jb i13_edd_size
    mov edx, EDD_SIZE_20
    mov dword ptr [esi + EDD_DPTE], EDD_NO_DPTE
i13_edd_size:
    mov word ptr [esi + EDD_SIZE], dx
    mov word ptr [esi + EDD_FLAGS], EDD_FLAG_CHS_VALID
    call geometry
    mov [esi + EDD_CYLINDERS], ecx
    mov [esi + EDD_HEADS], ebx
    mov dword ptr [esi + EDD_SPT], GEOMETRY_SPT
    mov eax, [edi + DRV_SECTORS]
    mov [esi + EDD_SECTORS], eax
    mov eax, [edi + DRV_SECTORS + 4]
    mov [esi + EDD_SECTORS + 4], eax
    mov word ptr [esi + EDD_BYTES_PER_SECTOR], SECTOR_SIZE
    jmp i13_ok

; transfer: ECX sectors from sector EDX:EAX, to or from ESI, with the drive's DRV_RW, after
; checking the range is on the disk; EBX = 0 read, 1 write, 2 verify (nothing moves).
; In: EDI = drive block.  Out: CF clear: done; CF set: out of range or the device failed
; (AL = DISK_STATUS_SECTOR_NOT_FOUND or DISK_STATUS_CONTROLLER_FAILED).
; Clobbers: EAX, EBX, ECX, EDX, ESI.
transfer:
    test ecx, ecx
    jz transfer_done
    push eax
    push edx
    add eax, ecx
    adc edx, 0
    cmp edx, [edi + DRV_SECTORS + 4]
    ja transfer_range
    jb transfer_in_range
    cmp eax, [edi + DRV_SECTORS]
    ja transfer_range
transfer_in_range:
    pop edx
    pop eax
    cmp ebx, 2
    je transfer_done
    call dword ptr [edi + DRV_RW]
    jnc transfer_done
    mov al, DISK_STATUS_CONTROLLER_FAILED
    ret
transfer_range:
    pop edx
    pop eax
    mov al, DISK_STATUS_SECTOR_NOT_FOUND
    stc
    ret
transfer_done:
    clc
    ret

; geometry: the CHS geometry offered for a drive.  In: EDI = drive block.
; Out: EBX = heads, ECX = cylinders (1 .. 1024).  Clobbers: EAX, EDX.
geometry:
    mov ebx, GEOMETRY_HEADS_SMALL
    mov eax, [edi + DRV_SECTORS]
    mov edx, [edi + DRV_SECTORS + 4]
    test edx, edx
    jnz geometry_large
    cmp eax, GEOMETRY_MAX_CYLINDERS * GEOMETRY_HEADS_SMALL * GEOMETRY_SPT
    jb geometry_divide
geometry_large:
    mov ebx, GEOMETRY_HEADS_LARGE
    mov ecx, GEOMETRY_MAX_CYLINDERS
    cmp edx, 0
    jne geometry_done
    cmp eax, GEOMETRY_MAX_CYLINDERS * GEOMETRY_HEADS_LARGE * GEOMETRY_SPT
    jae geometry_done
geometry_divide:
    xor edx, edx
    imul ecx, ebx, GEOMETRY_SPT
    div ecx
    mov ecx, eax
    test ecx, ecx
    jnz geometry_done
    inc ecx
geometry_done:
    ret

; function -> routine (byte AH, dword address)
i13_table:
    .byte INT13_RESET
    .long i13_ok
    .byte INT13_STATUS
    .long i13_status
    .byte INT13_READ
    .long i13_chs
    .byte INT13_WRITE
    .long i13_chs
    .byte INT13_VERIFY
    .long i13_chs
    .byte INT13_PARAMETERS
    .long i13_parameters
    .byte INT13_SEEK
    .long i13_ok
    .byte INT13_ALT_RESET
    .long i13_ok
    .byte INT13_READY
    .long i13_ok
    .byte INT13_RECALIBRATE
    .long i13_ok
    .byte INT13_DISK_TYPE
    .long i13_disk_type
    .byte INT13_EXT_CHECK
    .long i13_ext_check
    .byte INT13_EXT_READ
    .long i13_ext_rw
    .byte INT13_EXT_WRITE
    .long i13_ext_rw
    .byte INT13_EXT_VERIFY
    .long i13_ext_rw
    .byte INT13_EXT_SEEK
    .long i13_ok
    .byte INT13_EXT_PARAMETERS
    .long i13_ext_parameters
i13_table_end:
