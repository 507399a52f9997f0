; disk_boot: the disk loader when QEMU got no -kernel: disk_find (Loader.prepare, before any
; handoff: it initialises the disks and allocates their drive blocks) picks the disk, then
; disk_boot (Loader.without_kernel) enters its boot sector in real mode, as a PC BIOS does
; (BIOS Boot Specification 1.01, 6.5.2).  When none boots, say what was tried and halt.

.bss disk_boot_drive, 4         ; the drive block of the boot drive (80h)
.bss disk_found, 4              ; 0: disk_find has not run; 1: it ran
.bss disk_round, 4              ; disk_boot's EAX: 1 in the first round, 0 in the last
.bss disk_find_esp, 4           ; disk_find's stack, to leave the walk when a disk is found
.bss disk_rm, RM_SIZE           ; the register block for bios16_enter_real_mode
.bss disk_tried, DISK_TRIED_SIZE
.bss disk_tried_end, 4          ; where the next entry of disk_tried goes
.bss disk_tried_map, PCI_DEVICES_PER_BUS     ; one bit per devfn of bus 0: already tried

; disk_find (Loader.prepare): the bootorder file's functions of bus 0, then bus order; each
; disk initialised (its drive block allocated before the handoff) and its sector 0 read
; until one has the boot signature.  Out: disk_boot_drive = its drive block, or 0
; (disk_tried says what was tried).  Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global disk_find
disk_find:
    mov dword ptr [disk_found], 1
    mov dword ptr [disk_boot_drive], 0
    mov dword ptr [disk_tried_end], disk_tried
    cmp dword ptr [board_pci_host], 0
    je find_done                    ; a machine without PCI (microvm): no disk this loader drives
    mov [disk_find_esp], esp
    call disk_bootorder_try
    xor ebx, ebx
boot_scan:
    push ebx
    call disk_try_bdf
    pop ebx
    jc boot_absent
    test ebx, PCI_FUNCTIONS_PER_DEVICE - 1
    jnz boot_next
    mov eax, ebx
    shl eax, PCI_BDF_SHIFT
    or eax, PCI_HEADER_DWORD
    call pci_read32
    shr eax, PCI_HEADER_TYPE_SHIFT
    test al, PCI_HEADER_MULTIFUNCTION
    jnz boot_next
    jmp boot_skip_device
boot_absent:
    test ebx, PCI_FUNCTIONS_PER_DEVICE - 1
    jnz boot_next
boot_skip_device:
    or ebx, PCI_FUNCTIONS_PER_DEVICE - 1
boot_next:
    inc ebx
    cmp ebx, PCI_DEVICES_PER_BUS * PCI_FUNCTIONS_PER_DEVICE
    jb boot_scan
find_done:
    ret

; disk_boot (Loader.without_kernel).  In: EAX = 1 in the first round of a ROM with another
; such loader (netboot), 0 in the last; disk_find ran, or runs now.  Out: enters the boot
; sector; when no disk boots, returns in the first round (the network may come after the
; disk in QEMU's order) and panics in the last, naming every device it tried and that the
; network boot returned when it did.
.global disk_boot
disk_boot:
    mov [disk_round], eax
    cmp dword ptr [disk_found], 0
    jne boot_found
    call disk_find
boot_found:
    mov edi, [disk_boot_drive]
    test edi, edi
    jnz boot_drive_found
    cmp dword ptr [disk_round], 0
    je boot_nothing
    ret
boot_drive_found:
    cmp byte ptr [handoff_done], 0
    je boot_enter
    ; a boot device before this one handed over and came back (a BEV): sector 0 again, as
    ; 0000:7C00 is where such a program loads its own
    call disk_boot_sector
    jnc boot_enter
    mov dword ptr [disk_tried_end], disk_tried
    mov esi, why_reread
    call tried_puts
    jmp boot_nothing
boot_enter:
    call int13_install
    call handoff
    mov esi, disk_rm
    mov word ptr [esi + RM_IP], BOOT_SECTOR_ADDRESS
    mov word ptr [esi + RM_SP], BOOT_STACK_TOP
    mov dword ptr [esi + RM_EDX], BOOT_DRIVE_FIRST_HD
    mov word ptr [esi + RM_FLAGS], FLAGS_IF
    jmp bios16_enter_real_mode
boot_nothing:
    mov esi, msg_nothing_1
    call panic_begin
    call console_puts
    cmp byte ptr [handoff_done], 0
    je boot_no_network
    mov esi, msg_network
    call console_puts
boot_no_network:
    mov esi, msg_disks
    call console_puts
    mov esi, msg_none_found
    mov eax, [disk_tried_end]
    cmp eax, disk_tried
    je boot_report
    mov byte ptr [eax], 0
    mov esi, disk_tried
boot_report:
    call console_puts
    call order_skipped
    call console_puts
    mov esi, msg_nothing_2
    call console_puts
    jmp panic_end

; order_skipped: does QEMU's -boot order= name a floppy or a CD-ROM (a, d), which no loader
; drives, before the hard disk?  Four device accesses (CMOS 3Dh and 38h), on the way to the panic only.
; Out: ESI = a sentence saying they were skipped, or an empty string.  Clobbers: EAX, ECX, EDX.
order_skipped:
    mov al, DISK_CMOS_ORDER
    out CMOS_INDEX, al
    in al, CMOS_DATA
    movzx edx, al
    mov al, DISK_CMOS_ORDER_THIRD
    out CMOS_INDEX, al
    in al, CMOS_DATA
    and eax, DISK_ORDER_THIRD_MASK
    shl eax, DISK_ORDER_CODE_BITS
    or edx, eax                     ; EDX bits 11:0: the three devices, the first lowest
    mov ecx, DISK_ORDER_SLOTS
    mov esi, msg_skipped
skipped_slot:
    mov eax, edx
    and eax, DISK_ORDER_CODE_MASK
    cmp eax, DISK_ORDER_FLOPPY
    je skipped_done
    cmp eax, DISK_ORDER_CDROM
    je skipped_done
    cmp eax, DISK_ORDER_HARD_DISK
    je skipped_none                 ; after the disk (QEMU's default "cad"): not asked for
    shr edx, DISK_ORDER_CODE_BITS
    dec ecx
    jnz skipped_slot
skipped_none:
    mov esi, msg_skipped_none
skipped_done:
    ret

; disk_try_bdf: boot from a function of bus 0 if it is a disk this loader drives and was
; not tried before (disk_tried_map).  In: EBX = bdf.  Out: returns when it did not boot:
; CF set when no function answers there, else CF clear (disk_tried says why a disk did
; not boot).  Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global disk_try_bdf
disk_try_bdf:
    mov eax, ebx
    shl eax, PCI_BDF_SHIFT
    call pci_read32
    cmp ax, PCI_VENDOR_NONE
    je try_absent
    test ax, ax
    jz try_absent
    bts dword ptr [disk_tried_map], ebx
    jc try_done
    call try_function
try_done:
    clc
    ret
try_absent:
    stc
    ret

; try_function: a PCI function this loader may boot from.  In: EBX = bdf, EAX = its
; vendor/device ID dword.  Out: returns when it did not boot (disk_tried says why).
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
try_function:
    cmp eax, (VIRTIO_PCI_BLK_TRANSITIONAL << 16) | VIRTIO_PCI_VENDOR
    je try_vblk
    cmp eax, (VIRTIO_PCI_BLK_MODERN << 16) | VIRTIO_PCI_VENDOR
    je try_vblk
    mov eax, ebx
    shl eax, PCI_BDF_SHIFT
    or eax, PCI_CLASS_DWORD
    call pci_read32
    shr eax, PCI_CLASS_SHIFT
    cmp eax, PCI_CLASS_AHCI
    je try_ahci
    shr eax, PCI_CLASS_SUB_SHIFT
    cmp eax, PCI_CLASS_IDE
    je try_ide
    ret
try_ide:
    mov esi, name_ide
    call tried_device
    mov ecx, DRV_BLOCK_SIZE
    mov edx, DRV_BLOCK_ALIGN
    call drive_alloc
    call ide_init
    jnc boot_drive
    jmp try_no_init
try_vblk:
    mov esi, name_vblk
    call tried_device
    mov ecx, DRV_BLOCK_SIZE
    mov edx, DRV_BLOCK_ALIGN
    call drive_alloc
    call vblk_init
    jnc boot_drive
    ; no modern interface (disable-modern=on): a transitional device's legacy one
    mov eax, ebx
    shl eax, PCI_BDF_SHIFT
    call pci_read32
    cmp eax, (VIRTIO_PCI_BLK_TRANSITIONAL << 16) | VIRTIO_PCI_VENDOR
    jne try_no_init
    call vblk_legacy_init
    jnc boot_drive
    jmp try_no_init
try_ahci:
    mov esi, name_ahci
    call tried_device
    mov ecx, AHCI_DRV_SIZE
    mov edx, AHCI_DRV_ALIGN
    call drive_alloc
    call ahci_init
    jnc boot_drive
try_no_init:
    mov esi, why_init
    jmp tried_puts

; boot_drive: read sector 0 of a drive to 0000:7C00; when it has the boot signature, the
; drive is the boot drive and disk_find returns to its caller (ESP from disk_find_esp).
; In: EDI = the drive block.  Out: returns when it cannot be read or has no signature
; (disk_tried says which).  Clobbers: EAX, EBX, ECX, EDX, ESI.
boot_drive:
    call disk_boot_sector
    jc tried_puts
    mov [disk_boot_drive], edi
    mov esp, [disk_find_esp]        ; found: out of the walk, back to disk_find's caller
    ret

; disk_boot_sector: read sector 0 of a drive to 0000:7C00 (BOOT_SECTOR_ADDRESS), for the
; boot (boot_drive) and INT 19h (disk_int19_pm, bbs.asm).
; In: EDI = the drive block.  Out: CF clear when it was read and has the boot signature;
; else CF set and ESI = why (a string for disk_tried).  Clobbers: EAX, EBX, ECX, EDX, ESI.
.global disk_boot_sector
disk_boot_sector:
    xor eax, eax
    xor edx, edx
    xor ebx, ebx
    mov ecx, 1
    mov esi, BOOT_SECTOR_ADDRESS
    call dword ptr [edi + DRV_RW]
    mov esi, why_read
    jc boot_sector_done
    cmp word ptr [BOOT_SECTOR_ADDRESS + BOOT_SIGNATURE_OFFSET], BOOT_SIGNATURE
    je boot_sector_done
    mov esi, why_signature
    stc
boot_sector_done:
    ret

; int13_install: drive 80h is the drive block EDI, served by disk_int13 (INT 13h); INT 19h
; boots it again, INT 18h reports a boot failure (bbs_rm.asm).
; In: EDI = the drive block.  Clobbers: EAX.
int13_install:
    movzx eax, word ptr [BDA_EBDA_SEGMENT]
    shl eax, 4
    mov [eax + EBDA_DISK + EBDA_DISK_DRIVES], edi
    mov byte ptr [BDA_DISK_COUNT], 1
    mov dword ptr [IVT_BASE + INT_DISK * 4], (FSEG_SEGMENT << 16) | (disk_int13 - FSEG_BASE)
    mov dword ptr [IVT_BASE + INT_BOOTSTRAP * 4], (FSEG_SEGMENT << 16) | (disk_int19 - FSEG_BASE)
    mov dword ptr [IVT_BASE + INT_BOOT_FAILURE * 4], (FSEG_SEGMENT << 16) | (disk_int18 - FSEG_BASE)
    ret

; drive_alloc: a zeroed drive block in the high table zone (reserved at the handoff).
; In: ECX = its size, EDX = its alignment.  Out: EDI = the block.  Clobbers: EAX, ECX, EDX.
drive_alloc:
    push ecx
    call alloc_high
    pop ecx
    push edi
    xor eax, eax
    rep stosb
    pop edi
    ret

; tried_device: start an entry of disk_tried: "<kind> bb:dd.f".  In: ESI = the kind's name,
; EBX = bdf.  Clobbers: EAX, ECX, EDX, ESI.
tried_device:
    mov eax, [disk_tried_end]
    cmp eax, disk_tried
    je tried_first
    push esi
    mov esi, sep_entries
    call tried_puts
    pop esi
tried_first:
    call tried_puts
    mov eax, ebx
    shr eax, 8
    call tried_hex2
    mov al, CHAR_COLON
    call tried_char
    mov eax, ebx
    shr eax, 3
    and eax, 0x1F
    call tried_hex2
    mov al, CHAR_DOT
    call tried_char
    mov eax, ebx
    and eax, 7
    add al, CHAR_ZERO
    jmp tried_char

; tried_hex2: In: AL = a byte, appended as two hex digits.  Clobbers: EAX, ECX, EDX.
tried_hex2:
    push eax
    shr al, 4
    call tried_digit
    pop eax
tried_digit:
    and eax, 0xF
    mov al, [hex_digits + eax]
; tried_char: In: AL = a character, appended unless disk_tried is full.  Clobbers: EDX.
tried_char:
    mov edx, [disk_tried_end]
    cmp edx, disk_tried + DISK_TRIED_SIZE - 1
    jae tried_char_full
    mov [edx], al
    inc edx
    mov [disk_tried_end], edx
tried_char_full:
    ret

; tried_puts: In: ESI = a NUL-terminated string, appended.  Clobbers: EAX, EDX, ESI.
tried_puts:
    lodsb
    test al, al
    jz tried_puts_done
    call tried_char
    jmp tried_puts
tried_puts_done:
    ret

hex_digits:
    .ascii "0123456789abcdef"
name_vblk:
    .asciz "virtio-blk "
name_ahci:
    .asciz "ahci "
name_ide:
    .asciz "ide "
sep_entries:
    .asciz ", "
why_init:
    .asciz " (the device did not initialise)"
why_read:
    .asciz " (sector 0 could not be read)"
why_signature:
    .asciz " (no boot signature 55AAh in sector 0)"
why_reread:
    .asciz "the boot disk (sector 0 could not be read again after the network boot)"
msg_nothing_1:
    .asciz "no -kernel, "
msg_network:
    .asciz "the network boot returned (see above), "
msg_disks:
    .asciz "and no disk boots; tried: "
msg_none_found:
    .asciz "nothing (no disk controller this ROM drives on PCI bus 0)"
msg_skipped:
    .asciz "; -boot order= a (floppy) and d (CD-ROM) skipped: this ROM boots neither"
msg_skipped_none:
    .byte 0
msg_nothing_2:
    .asciz ". Give QEMU -kernel, or a disk with a boot sector."
