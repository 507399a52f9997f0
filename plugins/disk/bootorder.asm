; disk_bootorder_try: the devices QEMU's "bootorder" fw_cfg file names (-device ...,
; bootindex=N, and -boot order= for the drives it covers), in its order, before the bus
; order (docs/specs/fw_cfg.rst; the lines are OpenFirmware device paths, QEMU
; softmmu/bootdevice.c get_boot_devices_list).  A disk on PCI bus 0 is
; "/pci@i0cf8/<name>@<device>[,<function>]/..." (hex; the host bridge is pci@i0cf8 on pc and
; q35 alike): each such line gives that function to disk_try_bdf; other lines (devices
; behind bridges, other kinds of devices) are skipped.
; In: nothing.  Out: returns when none of them booted.  Clobbers: EAX, EBX, ECX, EDX, ESI,
; EDI.  Device accesses: none without the file; one fw_cfg transfer with it.

.bss disk_bootorder, DISK_BOOTORDER_SIZE + 1

.global disk_bootorder_try
disk_bootorder_try:
    mov esi, name_bootorder
    call fw_cfg_find
    test eax, eax
    jz order_done
    cmp ecx, DISK_BOOTORDER_SIZE
    jbe order_fits
    mov ecx, DISK_BOOTORDER_SIZE
order_fits:
    shl eax, 16
    or eax, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ
    mov edi, disk_bootorder
    call fw_cfg_xfer
    mov byte ptr [disk_bootorder + ecx], 0
    mov esi, disk_bootorder
order_line:
    ; ESI = the start of a line
    cmp byte ptr [esi], 0
    je order_done
    mov edi, prefix_pci_root
    mov ecx, PREFIX_PCI_ROOT_LENGTH
    repe cmpsb
    jne order_skip
order_at:
    lodsb
    cmp al, CHAR_AT
    je order_device
    cmp al, CHAR_SLASH
    je order_skip
    cmp al, CHAR_NEWLINE
    je order_line
    test al, al
    jz order_done
    jmp order_at
order_device:
    call hex_number
    cmp eax, PCI_DEVICES_PER_BUS
    jae order_skip
    mov ebx, eax
    shl ebx, 3
    cmp byte ptr [esi], CHAR_COMMA
    jne order_try
    inc esi
    call hex_number
    cmp eax, PCI_FUNCTIONS_PER_DEVICE
    jae order_skip
    or ebx, eax
order_try:
    push esi
    call disk_try_bdf
    pop esi
order_skip:
    ; to the character after the next newline, or the terminating NUL
    lodsb
    test al, al
    jz order_done
    cmp al, CHAR_NEWLINE
    jne order_skip
    jmp order_line
order_done:
    ret

; hex_number: In: ESI = hex digits.  Out: EAX = their value (0 when none), ESI after them.
; Clobbers: ECX.
hex_number:
    xor eax, eax
hex_next:
    movzx ecx, byte ptr [esi]
    sub ecx, CHAR_ZERO
    cmp ecx, 9
    jbe hex_digit
    or ecx, HEX_LOWER_CASE
    sub ecx, HEX_A_FROM_ZERO
    cmp ecx, 5
    ja hex_done
    add ecx, 10
hex_digit:
    shl eax, 4
    add eax, ecx
    inc esi
    cmp eax, HEX_NUMBER_MAX
    jb hex_next
hex_done:
    ret

name_bootorder:
    .asciz "bootorder"
prefix_pci_root:
    .ascii "/pci@i0cf8/"
