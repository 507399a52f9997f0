; netboot_boot: network boot through the NICs' option ROMs (the netboot loader; constants in
; optionrom.inc).  BIOS Boot Specification 1.01, 3.3 and 6.5.1: a bootstrap entry vector
; (BEV) of a PnP expansion header is far-called in real mode with interrupts enabled; it
; boots or, having found nothing to boot, returns.

.bss netboot_block, OPROM_CALL_BLOCK
.bss netboot_line, BOOTORDER_LINE_MAX + 1
.bss netboot_tried, 4           ; nonzero once the BEVs were called (or -boot n warned)

; netboot_boot (Loader.without_kernel, when QEMU got no -kernel): network boot when QEMU
; asks for it.  QEMU's bootorder file (-device ...,bootindex=) wins when it has lines: its
; first line must be a NIC whose ROM gave a BEV (on bus 0 or behind bridges).  Without
; lines, the -boot order in CMOS (netboot_network_first): in the first round (EAX = 1, a
; ROM with the disk loader too) the network before the hard disk; in the last (EAX = 0)
; the network anywhere in the list (order=cn: after the disks failed).  Floppy and CD-ROM
; are skipped (no loader drives them).  The BEVs are called at most once over the rounds.
; The BEVs optionrom_run recorded are then called after the handoff, from that NIC's (or the
; first) on, in the order they were found.  Two device accesses (CMOS; four when the first
; two devices decide nothing) and, when there is a bootorder file, one fw_cfg transfer, to
; decide.
; Out: returns when network boot was not asked for (the next loader's turn), with a warning
; when -boot n finds no ROM with a BEV, or, with a warning, when every BEV returned (BIOS
; Boot Specification 6.5.1: the next boot device's turn; the handoff is done then).
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global netboot_boot
netboot_boot:
    cmp byte ptr [netboot_tried], 0
    jne netboot_not_asked          ; a round before this one called the BEVs, or warned
    mov ebx, eax
    call netboot_network_first
    sbb ebx, ebx                   ; EBX = 0: the CMOS order asks for the network
    push ebx
    call netboot_bootindex
    pop edx
    jnc netboot_go
    test eax, eax
    jnz netboot_not_asked          ; the bootorder file names something else first
    test edx, edx
    jz netboot_asked
netboot_not_asked:
    ret
netboot_asked:
    xor ebx, ebx
    cmp dword ptr [optionrom_bevs], 0
    je netboot_no_bev
netboot_go:
    ; EBX = the first BEV to call; all of them, wrapping around
    mov byte ptr [netboot_tried], 1
    push ebx
    call handoff
    pop ebx
    mov ecx, [optionrom_bevs]
netboot_next:
    push ecx
    push ebx
    mov edi, netboot_block
    mov ecx, OPROM_CALL_BLOCK
    xor eax, eax
    rep stosb
    shl ebx, OPROM_ENTRY_SHIFT
    mov eax, [optionrom_bevs + OPROM_LIST_ENTRIES + OPROM_ENTRY_VECTOR + ebx]
    mov [netboot_block + RM_IP], eax          ; IP, then CS
    mov word ptr [netboot_block + RM_FLAGS], FLAGS_IF
    mov word ptr [netboot_block + RM_SS], OPROM_STACK_SEGMENT
    mov word ptr [netboot_block + RM_SP], OPROM_STACK_TOP
    mov esi, netboot_block
    call bios16_call16
    pop ebx
    pop ecx
    inc ebx
    cmp ebx, [optionrom_bevs]
    jb netboot_wrapped
    xor ebx, ebx
netboot_wrapped:
    dec ecx
    jnz netboot_next
    mov esi, msg_returned
    jmp warn
netboot_no_bev:
    mov byte ptr [netboot_tried], 1
    mov esi, msg_no_bev
    jmp warn

; netboot_bootindex: is the first line of QEMU's bootorder file a function whose ROM gave a
; BEV?  The path is followed from bus 0 through the bridges it names
; ("/pci@i0cf8/pci-bridge@10/ethernet@0/..."), with the bus numbers the pci walk gave them
; (a bridge's secondary bus; 4 device accesses per bridge).
; Out: CF clear: EBX = that BEV's index; CF set: no, and EAX = 0 when there is no bootorder
; file to decide (none, or empty, or no BEV), else nonzero.  Clobbers: EAX, ECX, EDX, ESI, EDI.
netboot_bootindex:
    xor eax, eax
    cmp dword ptr [optionrom_bevs], 0
    je bootindex_none
    mov esi, name_bootorder
    call fw_cfg_find
    test eax, eax
    jz bootindex_none
    test ecx, ecx                 ; QEMU's file is empty when no device has a bootindex
    jz bootindex_empty
    cmp ecx, BOOTORDER_LINE_MAX
    jbe bootindex_fits
    mov ecx, BOOTORDER_LINE_MAX
bootindex_fits:
    shl eax, 16
    or eax, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ
    mov edi, netboot_line
    push ecx
    call fw_cfg_xfer
    pop ecx
    mov byte ptr [netboot_line + ecx], 0
    mov esi, netboot_line
    mov edi, prefix_pci_root
    mov ecx, prefix_pci_root_end - prefix_pci_root
    repe cmpsb
    jne bootindex_no
    xor edx, edx                  ; EDX = the bus of the next component << 8
bootindex_name:
    ; a component: a name up to '@', then device[,function] in hex
    lodsb
    cmp al, CHAR_AT
    je bootindex_device
    cmp al, CHAR_SLASH
    je bootindex_no               ; the name ended without a device number
    cmp al, CHAR_SPACE
    ja bootindex_name
    jmp bootindex_no              ; the end of the line
bootindex_device:
    call netboot_hex
    cmp eax, PCI_DEVICES_PER_BUS
    jae bootindex_no
    shl eax, 3
    or edx, eax
    cmp byte ptr [esi], CHAR_COMMA
    jne bootindex_match
    inc esi
    call netboot_hex
    cmp eax, PCI_FUNCTIONS_PER_DEVICE
    jae bootindex_no
    or edx, eax
bootindex_match:
    ; EDX = the component's bdf: which BEV is its ROM's?
    xor ebx, ebx
bootindex_loop:
    mov eax, ebx
    shl eax, OPROM_ENTRY_SHIFT
    cmp [optionrom_bevs + OPROM_LIST_ENTRIES + OPROM_ENTRY_BDF + eax], edx
    je bootindex_found
    inc ebx
    cmp ebx, [optionrom_bevs]
    jb bootindex_loop
    ; none: when the path goes on through a bridge, on to its secondary bus
    cmp byte ptr [esi], CHAR_SLASH
    jne bootindex_no
    inc esi
    push esi
    mov esi, edx
    shl esi, PCI_BDF_SHIFT
    push esi
    or esi, PCI_HEADER_DWORD
    call optionrom_cfg_read
    pop esi
    shr eax, PCI_HEADER_TYPE_SHIFT
    and eax, PCI_HEADER_TYPE_MASK
    cmp eax, PCI_HEADER_TYPE_BRIDGE
    jne bootindex_pop_no
    or esi, PCI_BUS_NUMBERS
    call optionrom_cfg_read
    pop esi
    and eax, OPROM_SECONDARY_BUS_MASK
    jz bootindex_no               ; not numbered
    mov edx, eax                  ; the secondary bus << 8
    jmp bootindex_name
bootindex_pop_no:
    pop esi
bootindex_no:
    mov eax, 1
bootindex_none:
    stc
    ret
bootindex_empty:
    xor eax, eax
    stc
    ret

; netboot_network_first: does QEMU's -boot order in CMOS (QEMU hw/i386/pc.c, set_boot_dev)
; name the network (before the hard disk, in the first round)?  Register 3Dh holds the first
; two devices, 38h bits 7:4 the third (read only when the first two decide nothing);
; floppy and CD-ROM are skipped, code 0 ends the list.
; In: EBX = 1: the first round (the network must come before the hard disk); 0: the last
; round (anywhere in the list).  Out: CF clear: yes; CF set: no.  Clobbers: EAX, ECX, EDX.
.global netboot_network_first
netboot_network_first:
    mov al, CMOS_BOOT_ORDER
    out CMOS_INDEX, al
    in al, CMOS_DATA
    movzx edx, al
    mov ecx, BOOT_ORDER_SLOTS
order_slot:
    mov eax, edx
    and eax, BOOT_CODE_MASK
    jz order_no                   ; the end of the list
    cmp eax, BOOT_CODE_NETWORK
    je order_yes
    cmp eax, BOOT_CODE_HARD_DISK
    jne order_skip
    test ebx, ebx
    jnz order_no                  ; the first round: the disk comes first
order_skip:
    shr edx, BOOT_CODE_BITS
    dec ecx
    jz order_no
    cmp ecx, BOOT_ORDER_SLOTS - BOOT_ORDER_SLOTS_3D
    jne order_slot
    mov al, CMOS_BOOT_ORDER_THIRD
    out CMOS_INDEX, al
    in al, CMOS_DATA
    shr al, BOOT_CODE_BITS
    movzx edx, al
    jmp order_slot
order_yes:
    clc
    ret
order_no:
    stc
    ret
bootindex_found:
    clc
    ret

; netboot_hex: a hexadecimal number at ESI (lower-case, as QEMU prints it).
; Out: EAX = its value (0 when there are no digits), ESI past it.  Clobbers: ECX.
netboot_hex:
    xor eax, eax
hex_digit:
    movzx ecx, byte ptr [esi]
    sub ecx, CHAR_DIGIT_0
    cmp ecx, HEX_DIGIT_MAX
    jbe hex_add
    sub ecx, CHAR_LOWER_A - CHAR_DIGIT_0
    cmp ecx, HEX_LETTER_MAX
    ja hex_done
    add ecx, HEX_LETTER_BASE
hex_add:
    shl eax, 4
    or eax, ecx
    inc esi
    jmp hex_digit
hex_done:
    ret

name_bootorder:
    .asciz "bootorder"
prefix_pci_root:
    .ascii "/pci@i0cf8/"
prefix_pci_root_end:
msg_no_bev:
    .asciz "netboot: -boot n asks for network boot, but no NIC has an option ROM with a boot entry (add a NIC with its iPXE ROM, e.g. -device e1000 or virtio-net-pci; -net none has none)"
msg_returned:
    .asciz "netboot: every NIC's boot entry returned without booting (no DHCP answer or no boot file: check -netdev user,tftp=...,bootfile=...); the next boot device's turn"
