; virtio-blk over PCI, modern (1.x) interface (constants: virtio.inc; drive block: disk.inc
; DRV_*, and VBLK_* below).  One split virtqueue of VBLK_QUEUE_SIZE entries, one request at
; a time, polled: a request of any number of sectors is one device access (the notify).

; vblk_init: find the device's virtio structures, bring it to DRIVER_OK with queue 0 in the
; drive block, read its capacity (virtio 1.1, 3.1.1 "Driver Requirements: Device
; Initialization"; 4.1.4 "Virtio Structure PCI Capabilities").
; In: EBX = bdf, EDI = the drive block (DRV_BLOCK_SIZE bytes, zeroed).
; Out: CF clear: the drive block is ready for disk_rw; CF set: not a usable device.
; Clobbers: EAX, ECX, EDX, ESI.  About 45 device accesses on q35.
.global vblk_init
vblk_init:
    mov [edi + DRV_BDF], ebx
    mov dword ptr [edi + DRV_RW], vblk_rw
    ; walk the capability list for the common, notify and device structures
    mov eax, ebx
    shl eax, PCI_BDF_SHIFT
    or eax, PCI_CAPABILITY_LIST
    call pci_read32
init_cap:
    and eax, PCI_CAP_POINTER_MASK
    jz init_caps_done
    mov esi, eax
    mov eax, ebx
    shl eax, PCI_BDF_SHIFT
    or eax, esi
    call pci_read32
    push eax                        ; the next pointer (bits 15:8)
    cmp al, PCI_CAP_ID_VENDOR
    jne init_cap_next
    shr eax, 24                     ; cfg_type (VIRTIO_CAP_CFG_TYPE = byte 3)
    cmp eax, VIRTIO_PCI_CAP_COMMON_CFG
    je init_cap_common
    cmp eax, VIRTIO_PCI_CAP_NOTIFY_CFG
    je init_cap_notify
    cmp eax, VIRTIO_PCI_CAP_DEVICE_CFG
    jne init_cap_next
    call cap_address
    jc init_fail_pop
    mov [edi + VBLK_DEVICE], eax
    jmp init_cap_next
init_cap_common:
    call cap_address
    jc init_fail_pop
    mov [edi + VBLK_COMMON], eax
    jmp init_cap_next
init_cap_notify:
    call cap_address
    jc init_fail_pop
    mov [edi + VBLK_NOTIFY], eax
    mov eax, ebx
    shl eax, PCI_BDF_SHIFT
    lea eax, [eax + esi + VIRTIO_CAP_NOTIFY_MULTIPLIER]
    call pci_read32
    mov [edi + VBLK_NOTIFY_MULT], eax
init_cap_next:
    pop eax
    shr eax, 8
    jmp init_cap
init_fail_pop:
    pop eax
    stc
    ret
init_caps_done:
    mov esi, [edi + VBLK_COMMON]
    test esi, esi
    jz init_fail
    cmp dword ptr [edi + VBLK_NOTIFY], 0
    je init_fail
    cmp dword ptr [edi + VBLK_DEVICE], 0
    je init_fail
    ; reset, ACKNOWLEDGE | DRIVER, VIRTIO_F_VERSION_1 only, FEATURES_OK (3.1.1 steps 1-6)
    mov byte ptr [esi + VIRTIO_COMMON_STATUS], 0
    mov byte ptr [esi + VIRTIO_COMMON_STATUS], VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER
    mov dword ptr [esi + VIRTIO_COMMON_GFSELECT], VIRTIO_FEATURE_WORD_VERSION_1
    mov dword ptr [esi + VIRTIO_COMMON_GF], VIRTIO_F_VERSION_1_IN_WORD
    mov byte ptr [esi + VIRTIO_COMMON_STATUS], VBLK_STATUS_FEATURES
    mov al, [esi + VIRTIO_COMMON_STATUS]
    test al, VIRTIO_STATUS_FEATURES_OK
    jz init_fail
    ; queue 0: our size, its three parts in the drive block, enabled (4.1.5.1.3)
    mov word ptr [esi + VIRTIO_COMMON_Q_SELECT], 0
    mov word ptr [esi + VIRTIO_COMMON_Q_SIZE], VBLK_QUEUE_SIZE
    lea eax, [edi + VBLK_DESC]
    mov [esi + VIRTIO_COMMON_Q_DESC], eax
    mov dword ptr [esi + VIRTIO_COMMON_Q_DESC + 4], 0
    lea eax, [edi + VBLK_AVAIL]
    mov [esi + VIRTIO_COMMON_Q_AVAIL], eax
    mov dword ptr [esi + VIRTIO_COMMON_Q_AVAIL + 4], 0
    lea eax, [edi + VBLK_USED]
    mov [esi + VIRTIO_COMMON_Q_USED], eax
    mov dword ptr [esi + VIRTIO_COMMON_Q_USED + 4], 0
    ; where to notify queue 0: notify base + queue_notify_off * multiplier (4.1.4.4)
    movzx eax, word ptr [esi + VIRTIO_COMMON_Q_NOFF]
    imul eax, [edi + VBLK_NOTIFY_MULT]
    add [edi + VBLK_NOTIFY], eax
    mov word ptr [esi + VIRTIO_COMMON_Q_ENABLE], 1
    mov word ptr [edi + VBLK_AVAIL], VIRTQ_AVAIL_F_NO_INTERRUPT
    lea eax, [edi + VBLK_DESC]
    mov [edi + VBLK_DESC_PTR], eax
    lea eax, [edi + VBLK_AVAIL]
    mov [edi + VBLK_AVAIL_PTR], eax
    lea eax, [edi + VBLK_USED]
    mov [edi + VBLK_USED_PTR], eax
    mov dword ptr [edi + VBLK_QUEUE_MASK], VBLK_QUEUE_SIZE - 1
    mov byte ptr [esi + VIRTIO_COMMON_STATUS], VBLK_STATUS_FEATURES | VIRTIO_STATUS_DRIVER_OK
    ; capacity (5.2.4)
    mov esi, [edi + VBLK_DEVICE]
    mov eax, [esi + VIRTIO_BLK_CFG_CAPACITY]
    mov [edi + DRV_SECTORS], eax
    mov eax, [esi + VIRTIO_BLK_CFG_CAPACITY + 4]
    mov [edi + DRV_SECTORS + 4], eax
    clc
    ret
init_fail:
    stc
    ret

; cap_address: the address of the structure a virtio capability describes.
; In: EBX = bdf, ESI = the capability's offset.  Out: CF clear, EAX = BAR address + offset;
; CF set: the BAR is unusable.  Clobbers: ECX, EDX.
cap_address:
    mov eax, ebx
    shl eax, PCI_BDF_SHIFT
    lea eax, [eax + esi + VIRTIO_CAP_BAR]
    call pci_read32
    movzx eax, al
    call disk_pci_bar
    jc cap_address_done
    push eax
    mov eax, ebx
    shl eax, PCI_BDF_SHIFT
    lea eax, [eax + esi + VIRTIO_CAP_OFFSET]
    call pci_read32
    pop ecx
    add eax, ecx
    clc
cap_address_done:
    ret

; vblk_rw (a drive block's DRV_RW): one request of ECX sectors (disk_rw contract).
; In: EDI = drive block, EDX:EAX = first sector, ECX = sectors (1 .. 2^23), ESI = buffer
; (flat address), EBX = VIRTIO_BLK_T_IN (0, read) or VIRTIO_BLK_T_OUT (1, write).
; Out: CF clear: done; CF set: the device reported an error or did not answer in
; VBLK_POLLS polls.  Clobbers: EAX, ECX, EDX.  One device access (the notify).
vblk_rw:
    push ebx
    mov [edi + VBLK_HEADER + VIRTIO_BLK_REQ_TYPE], ebx
    mov [edi + VBLK_HEADER + VIRTIO_BLK_REQ_SECTOR], eax
    mov [edi + VBLK_HEADER + VIRTIO_BLK_REQ_SECTOR + 4], edx
    ; descriptor 0: the header; 1: the data (device-writable for a read); 2: the status
    mov ebx, [edi + VBLK_DESC_PTR]
    lea eax, [edi + VBLK_HEADER]
    mov [ebx + VIRTQ_DESC_ADDR], eax
    mov dword ptr [ebx + VIRTQ_DESC_LEN], VIRTIO_BLK_REQ_HEADER_SIZE
    mov dword ptr [ebx + VIRTQ_DESC_FLAGS], VIRTQ_DESC_F_NEXT | (1 << 16)
    mov [ebx + VIRTQ_DESC_SIZE + VIRTQ_DESC_ADDR], esi
    shl ecx, SECTOR_SHIFT
    mov [ebx + VIRTQ_DESC_SIZE + VIRTQ_DESC_LEN], ecx
    mov eax, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE | (2 << 16)
    cmp dword ptr [esp], VIRTIO_BLK_T_IN
    je rw_data_flags
    mov eax, VIRTQ_DESC_F_NEXT | (2 << 16)
rw_data_flags:
    mov [ebx + VIRTQ_DESC_SIZE + VIRTQ_DESC_FLAGS], eax
    lea eax, [edi + VBLK_STATUS]
    mov [ebx + 2 * VIRTQ_DESC_SIZE + VIRTQ_DESC_ADDR], eax
    mov dword ptr [ebx + 2 * VIRTQ_DESC_SIZE + VIRTQ_DESC_LEN], 1
    mov dword ptr [ebx + 2 * VIRTQ_DESC_SIZE + VIRTQ_DESC_FLAGS], VIRTQ_DESC_F_WRITE
    mov byte ptr [edi + VBLK_STATUS], VBLK_STATUS_NONE
    ; the chain's head (0) in the next available slot, then publish it (2.6.13)
    mov ebx, [edi + VBLK_AVAIL_PTR]
    movzx eax, word ptr [ebx + VIRTQ_RING_IDX]
    mov edx, eax
    and edx, [edi + VBLK_QUEUE_MASK]
    mov word ptr [ebx + VIRTQ_RING_ENTRIES + edx * 2], 0
    inc eax
    mov [ebx + VIRTQ_RING_IDX], ax
    ; notify queue 0: a memory write (modern) or a port write (legacy)
    mov edx, [edi + VBLK_NOTIFY]
    cmp dword ptr [edi + VBLK_LEGACY], 0
    jne rw_notify_port
    mov word ptr [edx], 0
    jmp rw_wait
rw_notify_port:
    mov ecx, eax
    xor eax, eax
    out dx, ax
    mov eax, ecx
rw_wait:
    ; wait until the device has used it (the used index reaches the available one)
    mov ebx, [edi + VBLK_USED_PTR]
    mov ecx, VBLK_POLLS
rw_poll:
    cmp ax, [ebx + VIRTQ_RING_IDX]
    je rw_used
    pause
    dec ecx
    jnz rw_poll
    jmp rw_error
rw_used:
    cmp byte ptr [edi + VBLK_STATUS], VIRTIO_BLK_S_OK
    jne rw_error
    pop ebx
    clc
    ret
rw_error:
    pop ebx
    stc
    ret

; vblk_legacy_init: a device that offers only the legacy interface (virtio 1.1, 4.1.5
; "Legacy Interfaces: A Note on PCI Device Layout"; QEMU disable-modern=on): I/O BAR 0,
; reset, ACKNOWLEDGE | DRIVER, no features, queue 0 at the size the device fixes, in
; page-aligned memory of its own (legacy layout, 2.6.2: used ring on the next 4 KiB
; boundary), DRIVER_OK, capacity from the device configuration at 14h.
; In: EBX = bdf, EDI = the drive block (zeroed).  Out: CF clear: ready; CF set: unusable.
; Clobbers: EAX, ECX, EDX, ESI.
.global vblk_legacy_init
vblk_legacy_init:
    mov [edi + DRV_BDF], ebx
    mov dword ptr [edi + DRV_RW], vblk_rw
    mov dword ptr [edi + VBLK_LEGACY], 1
    xor eax, eax
    call disk_pci_io_bar
    jc legacy_fail
    mov esi, eax
    lea edx, [esi + VIRTIO_LEGACY_STATUS]
    xor eax, eax
    out dx, al
    mov al, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER
    out dx, al
    lea edx, [esi + VIRTIO_LEGACY_GUEST_FEATURES]
    xor eax, eax
    out dx, eax
    lea edx, [esi + VIRTIO_LEGACY_QUEUE_SELECT]
    out dx, ax
    lea edx, [esi + VIRTIO_LEGACY_QUEUE_SIZE]
    in ax, dx
    movzx ecx, ax
    test ecx, ecx
    jz legacy_fail
    lea eax, [ecx - 1]
    test eax, ecx
    jnz legacy_fail                 ; not a power of two
    mov [edi + VBLK_QUEUE_MASK], eax
    ; the rings: descriptors and available ring, then the used ring on the next page
    push ecx
    imul eax, ecx, VIRTQ_DESC_SIZE + 2
    add eax, VIRTQ_RING_ENTRIES + 2 + PAGE_SIZE - 1
    and eax, PAGE_MASK
    push eax                        ; the used ring's offset
    lea ecx, [ecx * 8 + VIRTQ_RING_ENTRIES + 2 + PAGE_SIZE - 1]
    and ecx, PAGE_MASK
    add ecx, eax
    push edi
    push ecx
    mov edx, PAGE_SIZE
    call alloc_high
    pop ecx
    mov edx, edi
    xor eax, eax
    rep stosb
    pop edi
    mov [edi + VBLK_DESC_PTR], edx
    pop eax
    add eax, edx
    mov [edi + VBLK_USED_PTR], eax
    pop ecx
    imul ecx, ecx, VIRTQ_DESC_SIZE
    add ecx, edx
    mov [edi + VBLK_AVAIL_PTR], ecx
    mov word ptr [ecx], VIRTQ_AVAIL_F_NO_INTERRUPT
    mov eax, edx
    shr eax, PAGE_SHIFT
    lea edx, [esi + VIRTIO_LEGACY_QUEUE_PFN]
    out dx, eax
    lea edx, [esi + VIRTIO_LEGACY_STATUS]
    mov al, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK
    out dx, al
    lea edx, [esi + VIRTIO_LEGACY_QUEUE_NOTIFY]
    mov [edi + VBLK_NOTIFY], edx
    lea edx, [esi + VIRTIO_LEGACY_DEVICE_CFG + VIRTIO_BLK_CFG_CAPACITY]
    in eax, dx
    mov [edi + DRV_SECTORS], eax
    add edx, 4
    in eax, dx
    mov [edi + DRV_SECTORS + 4], eax
    clc
    ret
legacy_fail:
    stc
    ret
