; Linux bzImage through the 32-bit boot protocol (boot.rst, "32-bit Boot Protocol"): no
; real-mode setup code runs.  QEMU has already parsed the bzImage (hw/i386/x86.c,
; x86_load_linux) and chosen the load addresses, which it wrote into the setup header it
; serves as FW_CFG_SETUP_DATA (cmd_line_ptr, ramdisk_image/size, type_of_loader,
; setup_data chain); this loader copies the pieces where QEMU said and honours that header.

.global linux_zero_page, linux_kernel_addr
.noinit linux_zero_page, LINUX_BOOT_PARAMS_SIZE, 4096
.bss linux_kernel_addr, 4

; linux_probe (loader probe, stage boot).
; Out: returns when the kernel is not a bzImage (kernel_reason set); otherwise enters it
; and never returns.
; Clobbers: everything but EBP and ESP when it returns.  EBP = linux_zero_page +
; LINUX_ZP_BIAS inside (linux.inc), also for linux_check_header and linux_needs_real.
.global linux_probe
linux_probe:
    push ebp
    mov ebp, linux_zero_page + LINUX_ZP_BIAS
    ; the first page of the setup part holds the header; reads past its end read zeroes
    mov eax, FW_CFG_SETUP_DATA
    mov edi, linux_zero_page
    mov ecx, LINUX_BOOT_PARAMS_SIZE
    call fw_cfg_read
    cmp dword ptr [ebp + LINUX_HDR_MAGIC - LINUX_ZP_BIAS], LINUX_MAGIC_HDRS
    jne linux_not_mine
    ; a kernel without the 32-bit entry this loader uses (linux_real.asm runs its real-mode
    ; setup code when the ROM has bios16, linux_no_real.asm refuses it otherwise)
    cmp word ptr [ebp + LINUX_HDR_VERSION - LINUX_ZP_BIAS], LINUX_PROTOCOL_MIN
    jb linux_needs_real
    test byte ptr [ebp + LINUX_HDR_LOADFLAGS - LINUX_ZP_BIAS], LINUX_LOADED_HIGH
    jz linux_needs_real
    cmp dword ptr [ebp + LINUX_HDR_CODE32_START - LINUX_ZP_BIAS], 0
    je linux_needs_real
    ; boot_params: everything but the setup header is zero (boot.rst, "32-bit Boot
    ; Protocol": the loader fills struct boot_params, starting from a zeroed one)
    mov edi, linux_zero_page
    mov ecx, LINUX_HDR_START
    call mem_zero
    movzx edi, byte ptr [ebp + LINUX_HDR_JUMP + 1 - LINUX_ZP_BIAS]
    add edi, linux_zero_page + LINUX_HDR_MAGIC
    mov ecx, linux_zero_page + LINUX_BOOT_PARAMS_SIZE
    sub ecx, edi
    jbe linux_bad_header
    call mem_zero

    ; the protected-mode kernel, where QEMU put it (FW_CFG_KERNEL_ADDR); QEMU appends any
    ; setup_data it passes to this blob and links it from the header
    mov eax, FW_CFG_KERNEL_ADDR
    call fw_cfg_read_item
    mov [linux_kernel_addr], eax
    mov [ebp + LINUX_HDR_CODE32_START - LINUX_ZP_BIAS], eax
    call linux_check_header
    mov edi, [linux_kernel_addr]
    mov ecx, [kernel_size]
    call load_check
    mov eax, FW_CFG_KERNEL_DATA
    call fw_cfg_read

    ; the command line, at cmd_line_ptr.  With DMA one transfer of cmdline_size + 1 bytes
    ; (2.06+) takes it (fw_cfg zero-fills reads past the item's end); otherwise ask for its
    ; size first.  The range is checked like every load: the size is the kernel's word.
    mov edi, [ebp + LINUX_HDR_CMD_LINE_PTR - LINUX_ZP_BIAS]
    test edi, edi
    jz linux_no_cmdline
    mov ecx, [ebp + LINUX_HDR_CMDLINE_SIZE - LINUX_ZP_BIAS]
    inc ecx
    cmp word ptr [ebp + LINUX_HDR_VERSION - LINUX_ZP_BIAS], LINUX_PROTOCOL_CMDLINE_SIZE
    jb linux_cmdline_size
    cmp byte ptr [fw_cfg_has_dma], 0
    jne linux_cmdline_read
linux_cmdline_size:
    mov eax, FW_CFG_CMDLINE_SIZE
    call fw_cfg_read_item
    mov ecx, eax
    mov edi, [ebp + LINUX_HDR_CMD_LINE_PTR - LINUX_ZP_BIAS]
    jecxz linux_no_cmdline
linux_cmdline_read:
    call load_check
    mov eax, FW_CFG_CMDLINE_DATA
    call fw_cfg_read
    ; longer than cmdline_size (QEMU does not check): cut it there, as boot.rst allows
    ; ("cmdline_size ... the maximum size of the command line without the terminating
    ; zero"), and say so.  Before 2.06 there is no cmdline_size: the line is taken whole.
    ; Only a transfer longer than cmdline_size can hold a line that is too long.
    cmp word ptr [ebp + LINUX_HDR_VERSION - LINUX_ZP_BIAS], LINUX_PROTOCOL_CMDLINE_SIZE
    jb linux_no_cmdline
    cmp ecx, [ebp + LINUX_HDR_CMDLINE_SIZE - LINUX_ZP_BIAS]
    jbe linux_no_cmdline
    add edi, [ebp + LINUX_HDR_CMDLINE_SIZE - LINUX_ZP_BIAS]
    cmp byte ptr [edi], 0
    jne linux_cmdline_long
linux_no_cmdline:

    ; the initrd, at ramdisk_image (QEMU honoured initrd_addr_max); it must not cover the
    ; ACPI tables, which live at the top of low RAM
    mov ecx, [ebp + LINUX_HDR_RAMDISK_SIZE - LINUX_ZP_BIAS]
    jecxz linux_no_initrd
    mov edi, [ebp + LINUX_HDR_RAMDISK_IMAGE - LINUX_ZP_BIAS]
    mov eax, [alloc_high_ptr]
    test eax, eax
    jz linux_initrd_fits
    lea edx, [edi + ecx]
    cmp edx, eax
    ja linux_initrd_overlap
linux_initrd_fits:
    call load_check
    mov eax, FW_CFG_INITRD_DATA
    call fw_cfg_read
linux_no_initrd:

    ; the memory map (final once the handoff steps ran) and the RSDP (its high dword was
    ; zeroed with boot_params)
    call handoff
    mov ecx, [e820_count]
    mov [ebp + LINUX_E820_ENTRIES - LINUX_ZP_BIAS], cl
    imul ecx, ecx, E820_ENTRY_SIZE / 4
    mov esi, e820_map
    mov edi, linux_zero_page + LINUX_E820_TABLE
    rep movsd
    mov eax, [acpi_rsdp]
    mov [linux_zero_page + LINUX_ACPI_RSDP_ADDR], eax

    ; enter through the entry this build chose (linux_enter32.asm or linux_enter64.asm)
    cli
    mov esi, linux_zero_page
    jmp linux_enter

linux_not_mine:
    ; if QEMU prepared this kernel as a bzImage, the panic says why it is none
    mov dword ptr [kernel_reason], linux_reason_no_hdrs
    pop ebp
    ret
linux_cmdline_long:
    mov byte ptr [edi], 0
    mov esi, msg_cmdline_long
    call warn
    jmp linux_no_cmdline
linux_bad_header:
    call panic_here
    .asciz "linux: setup header longer than boot_params"
linux_initrd_overlap:
    call panic_here
    .asciz "linux: initrd over ACPI tables: smaller -initrd or more -m"

msg_cmdline_long:
    .asciz "linux: command line cut at cmdline_size"
linux_reason_no_hdrs:   ; a kernel_reason (firmware/boot.asm)
    .long kernel_format_files_linux
    .asciz "linux: not a bzImage (no HdrS header)"
