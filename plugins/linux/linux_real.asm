; A kernel without a 32-bit entry the firmware may use (boot.rst, "Running the Kernel" and
; "32-bit Boot Protocol"): code32_start 0, boot protocol before 2.02 or not LOADED_HIGH.
; It runs its own real-mode setup code, on the bios16 plugin's services; this fragment is
; in the ROM when bios16 is.  iPXE's ipxe.lkrn is such a kernel (code32_start 0).
;
; linux_needs_real (jumped to by linux_probe): load the protected-mode kernel, command
; line and initrd where QEMU chose (x86_load_linux sets their fw_cfg address and size items
; for every protocol version), run the handoff steps, enter the setup code in real mode.
; In: [kernel_size] set.  Does not return.
.global linux_needs_real
linux_needs_real:
    mov esi, linux_real_blobs
lnr_next:
    lodsd                           ; the blob's size item (0 ends the table)
    test eax, eax
    jz lnr_loaded
    call fw_cfg_read_item
    mov ebx, eax
    lodsd                           ; its address item
    call fw_cfg_read_item
    mov edi, eax
    mov ecx, ebx
    lodsd                           ; its DMA control word
    jecxz lnr_next
    push eax
    call load_check
    pop eax
    call fw_cfg_xfer
    jmp lnr_next
lnr_loaded:
    call handoff
    jmp linux_enter_real

linux_real_blobs:
    .long FW_CFG_KERNEL_SIZE, FW_CFG_KERNEL_ADDR
    .long (FW_CFG_KERNEL_DATA << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ
    .long FW_CFG_CMDLINE_SIZE, FW_CFG_CMDLINE_ADDR
    .long (FW_CFG_CMDLINE_DATA << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ
    .long FW_CFG_INITRD_SIZE, FW_CFG_INITRD_ADDR
    .long (FW_CFG_INITRD_DATA << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ
    .long 0
