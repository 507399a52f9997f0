; Multiboot (v1) kernels, as QEMU prepares them (constants and sources in multiboot.inc).

.bss mb_info, 4
.bss mb_entry, 4

; multiboot_probe (loader probe, stage boot).
; Out: returns when QEMU did not prepare a multiboot kernel; otherwise enters it with
; EAX = MULTIBOOT_BOOTLOADER_MAGIC and EBX = the multiboot_info address.
; Clobbers: everything but EBP and ESP when it returns.
.global multiboot_probe
multiboot_probe:
    mov esi, kernel_format_files_multiboot      ; generated from Loader.formats
    call kernel_format_present
    jz mb_not_mine
    mov eax, FW_CFG_KERNEL_ENTRY
    call fw_cfg_read_item
    mov [mb_entry], eax
    ; the image with its modules and command lines
    mov eax, FW_CFG_KERNEL_ADDR
    call fw_cfg_read_item
    mov edi, eax
    mov ecx, [kernel_size]
    call load_check
    mov eax, (FW_CFG_KERNEL_DATA << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ
    call fw_cfg_xfer
    ; multiboot_info, where QEMU put it
    mov eax, FW_CFG_INITRD_SIZE
    call fw_cfg_read_item
    push eax
    mov eax, FW_CFG_INITRD_ADDR
    call fw_cfg_read_item
    pop ecx
    mov [mb_info], eax
    mov edi, eax
    call load_check
    mov eax, (FW_CFG_INITRD_DATA << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ
    call fw_cfg_xfer
    call handoff

    ; mem_lower: RAM from 0; mem_upper: RAM from 1 MiB up to the first hole (spec 3.3)
    mov ebx, [mb_info]
    xor eax, eax
    call e820_ram_end
    shr eax, KIB_SHIFT
    mov [ebx + MBI_MEM_LOWER], eax
    mov eax, ONE_MIB
    call e820_ram_end
    sub eax, ONE_MIB
    shr eax, KIB_SHIFT
    mov [ebx + MBI_MEM_UPPER], eax
    or dword ptr [ebx + MBI_FLAGS], MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_MEM_MAP

    ; the memory map from e820, in the room QEMU left at mmap_addr
    mov ecx, [e820_count]
    imul eax, ecx, MULTIBOOT_MMAP_ENTRY_SIZE
    cmp eax, MULTIBOOT_MMAP_ROOM
    ja mb_map_too_big
    mov [ebx + MBI_MMAP_LENGTH], eax
    mov edi, [ebx + MBI_MMAP_ADDR]
    mov esi, e820_map
mb_map_next:
    jecxz mb_enter
    mov dword ptr [edi], MULTIBOOT_MMAP_SIZE_FIELD
    add edi, 4
    movsd
    movsd
    movsd
    movsd
    movsd
    dec ecx
    jmp mb_map_next
mb_enter:
    cli
    mov eax, MULTIBOOT_BOOTLOADER_MAGIC
    mov ebx, [mb_info]
    jmp dword ptr [mb_entry]
mb_not_mine:
    ret
mb_map_too_big:
    mov esi, msg_mb_map_big
    jmp panic

msg_mb_map_big:
    .asciz "multiboot: the memory map does not fit the room QEMU left for it"
