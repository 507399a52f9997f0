; The floor ROM of qboot-fw bench (qbootcore/floor.py, docs/performance.md): only what QEMU
; makes any firmware that boots a Linux kernel with its ACPI tables do.  Selecting
; etc/table-loader makes QEMU build its ACPI tables, and the kernel must be copied out of
; fw_cfg; then it jumps to the kernel's 32-bit entry.  No boot_params, memory map or tables:
; it boots the stub kernel (qbootcore/stubkernel.py) and nothing else.

.noinit floor_script, LOADER_BUFFER, 4

; init_chain (the floor's whole boot, called by entry32).  Does not return.
.global init_chain
init_chain:
    call fw_cfg_init
    mov esi, floor_table_loader
    mov edi, floor_script
    call fw_cfg_read_file
    mov eax, FW_CFG_KERNEL_ADDR
    call fw_cfg_read_item
    push eax
    mov eax, FW_CFG_KERNEL_SIZE
    call fw_cfg_read_item
    mov ecx, eax
    pop edi
    push edi
    mov eax, FW_CFG_KERNEL_DATA
    call fw_cfg_read
    ret                             ; to the kernel's 32-bit entry, pushed above

floor_table_loader:
    .asciz "etc/table-loader"
