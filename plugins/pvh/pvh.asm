; PVH: boot an ELF kernel through its PVH entry (constants and sources in pvh.inc).
; Entry state (pvh.pandoc, "Entry state"): 32-bit protected mode, paging off, flat CS/DS/ES/
; SS, interrupts off, EBX = physical address of struct hvm_start_info.

.bss pvh_info, 4
.bss pvh_entry, 4

; pvh_probe (loader probe, stage boot).
; Out: returns when QEMU did not prepare a PVH kernel; otherwise enters it.
; Clobbers: everything but EBP and ESP when it returns.
.global pvh_probe
pvh_probe:
    mov esi, kernel_format_files_pvh            ; generated from Loader.formats
    call kernel_format_present
    jz pvh_not_mine
    ; one block in the table zone: start_info, one module entry, the memory map, the
    ; command line (the kernel reads them before it sets up its own memory)
    mov eax, FW_CFG_CMDLINE_SIZE
    call fw_cfg_read_item
    mov ebx, eax
    lea ecx, [eax + HVM_START_INFO_SIZE + HVM_MODLIST_ENTRY_SIZE + E820_MAX * HVM_MEMMAP_ENTRY_SIZE]
    mov edx, PVH_INFO_ALIGN
    call alloc_high
    mov [pvh_info], edi
    ; zero it (the zone is guest RAM QEMU did not clear on reboot)
    push edi
    xor eax, eax
    rep stosb
    pop edi
    mov dword ptr [edi + HVM_INFO_MAGIC], HVM_START_MAGIC
    mov dword ptr [edi + HVM_INFO_VERSION], HVM_START_VERSION
    lea eax, [edi + HVM_START_INFO_SIZE]
    mov [edi + HVM_INFO_MODLIST], eax
    lea eax, [edi + HVM_START_INFO_SIZE + HVM_MODLIST_ENTRY_SIZE]
    mov [edi + HVM_INFO_MEMMAP], eax
    ; the command line, after the memory map
    test ebx, ebx
    jz pvh_no_cmdline
    lea eax, [edi + HVM_START_INFO_SIZE + HVM_MODLIST_ENTRY_SIZE + E820_MAX * HVM_MEMMAP_ENTRY_SIZE]
    mov [edi + HVM_INFO_CMDLINE], eax
    mov ecx, ebx
    mov edi, eax
    mov eax, (FW_CFG_CMDLINE_DATA << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ
    call fw_cfg_xfer
pvh_no_cmdline:
    ; the entry point QEMU found in the kernel's PVH note
    mov eax, FW_CFG_KERNEL_ENTRY
    call fw_cfg_read_item
    mov [pvh_entry], eax
    ; the initrd is the first (and only) module, where QEMU chose to put it
    mov eax, FW_CFG_INITRD_SIZE
    call fw_cfg_read_item
    test eax, eax
    jz pvh_no_initrd
    mov ebx, [pvh_info]
    mov dword ptr [ebx + HVM_INFO_NR_MODULES], 1
    mov ecx, eax
    mov [ebx + HVM_START_INFO_SIZE + HVM_MOD_SIZE], eax
    mov eax, FW_CFG_INITRD_ADDR
    push ecx
    call fw_cfg_read_item
    pop ecx
    mov [ebx + HVM_START_INFO_SIZE + HVM_MOD_PADDR], eax
    mov edi, eax
    mov edx, [alloc_high_ptr]
    lea eax, [edi + ecx]
    cmp eax, edx
    ja pvh_initrd_overlap
    call load_check
    mov eax, (FW_CFG_INITRD_DATA << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ
    call fw_cfg_xfer
pvh_no_initrd:
    call handoff
    ; the memory map: e820 entries widened to 24 bytes
    mov ebx, [pvh_info]
    mov eax, [acpi_rsdp]
    mov [ebx + HVM_INFO_RSDP], eax
    mov ecx, [e820_count]
    mov [ebx + HVM_INFO_MEMMAP_ENTRIES], ecx
    mov esi, e820_map
    mov edi, [ebx + HVM_INFO_MEMMAP]
pvh_map_next:
    jecxz pvh_enter
    movsd
    movsd
    movsd
    movsd
    movsd
    xor eax, eax
    stosd
    dec ecx
    jmp pvh_map_next
pvh_enter:
    cli
    mov ebx, [pvh_info]
    jmp dword ptr [pvh_entry]
pvh_not_mine:
    ret
pvh_initrd_overlap:
    mov esi, msg_pvh_initrd_overlap
    jmp panic

msg_pvh_initrd_overlap:
    .asciz "pvh: QEMU placed the initrd over the firmware's table zone; use a smaller -initrd or more -m"
