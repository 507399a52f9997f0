; Multiboot (v1) kernels, as QEMU prepares them (constants and sources in multiboot.inc).

.bss mb_info, 4
.bss mb_entry, 4
.bss mb_image_start, 4
.bss mb_image_end, 4

; multiboot_probe (loader probe, stage boot).
; Out: returns when QEMU did not prepare a multiboot kernel; otherwise enters it with
; EAX = MULTIBOOT_BOOTLOADER_MAGIC and EBX = the multiboot_info address.
; Clobbers: everything but EBP and ESP when it returns.
.global multiboot_probe
multiboot_probe:
    mov esi, name_multiboot_dma
    call fw_cfg_find
    test eax, eax
    jnz mb_mine
    mov esi, name_multiboot
    call fw_cfg_find
    test eax, eax
    jz mb_not_mine
mb_mine:
    mov eax, FW_CFG_KERNEL_ENTRY
    call fw_cfg_read_item
    mov [mb_entry], eax
    ; the image with its modules and command lines
    mov eax, FW_CFG_KERNEL_ADDR
    call fw_cfg_read_item
    mov edi, eax
    mov ecx, [kernel_size]
    mov [mb_image_start], edi
    lea eax, [edi + ecx]
    mov [mb_image_end], eax
    call load_check
    mov eax, (FW_CFG_KERNEL_DATA << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ
    call fw_cfg_xfer
    ; multiboot_info where QEMU put it, with the memory map's room below it, unless that
    ; overlaps the image (with its modules and command lines, which QEMU appends to it): then
    ; in the high table zone
    mov eax, FW_CFG_INITRD_SIZE
    call fw_cfg_read_item
    push eax
    mov eax, FW_CFG_INITRD_ADDR
    call fw_cfg_read_item
    pop ecx
    mov edi, eax
    call mb_info_fits
    jnc mb_info_placed
    push ecx
    add ecx, MULTIBOOT_MMAP_ROOM
    mov edx, MULTIBOOT_INFO_ALIGN
    call alloc_high
    pop ecx
    add edi, MULTIBOOT_MMAP_ROOM
    call mb_info_fits
    jc mb_no_room
mb_info_placed:
    mov [mb_info], edi
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
    lea edi, [ebx - MULTIBOOT_MMAP_ROOM]
    mov [ebx + MBI_MMAP_ADDR], edi
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
mb_no_room:
    mov esi, msg_mb_no_room
    jmp panic
mb_map_too_big:
    mov esi, msg_mb_map_big
    jmp panic

; mb_info_fits: whether multiboot_info at EDI (ECX bytes) with the memory map's room
; (MULTIBOOT_MMAP_ROOM bytes) below it stays clear of the image [mb_image_start,
; mb_image_end).  Out: CF set when they overlap.  Clobbers: EAX.
mb_info_fits:
    lea eax, [edi + ecx]
    cmp eax, [mb_image_start]
    jbe mb_clear
    lea eax, [edi - MULTIBOOT_MMAP_ROOM]
    cmp eax, [mb_image_end]
    jae mb_clear
    stc
    ret
mb_clear:
    clc
    ret

name_multiboot_dma:
    .asciz "genroms/multiboot_dma.bin"
name_multiboot:
    .asciz "genroms/multiboot.bin"
msg_mb_no_room:
    .asciz "multiboot: no room for the boot information that does not overlap the kernel image and its modules"
msg_mb_map_big:
    .asciz "multiboot: the memory map does not fit the room QEMU left for it"
