; The real-mode entry (boot.rst, "Running the Kernel"): the kernel's own setup code runs,
; asks the BIOS for the memory map (INT 15h E820, served by the bios16 plugin from the
; firmware's e820 map) and switches to protected mode itself.  For old kernels and other
; real-mode payloads that use the Linux boot protocol.
; In: the protected-mode kernel, command line and initrd loaded, the handoff steps run;
; linux_zero_page holds the setup header.  Does not return.

.bss linux_rm_block, RM_SIZE, 4

.global linux_enter_real
linux_enter_real:
    ; the whole setup, where QEMU chose (FW_CFG_SETUP_ADDR: 0x10000 for protocol 2.02+),
    ; with QEMU's header edits (cmd_line_ptr, heap_end_ptr, ramdisk)
    mov eax, FW_CFG_SETUP_ADDR
    call fw_cfg_read_item
    mov ebx, eax
    mov eax, FW_CFG_SETUP_SIZE
    call fw_cfg_read_item
    mov ecx, eax
    mov edi, ebx
    call load_check
    mov eax, FW_CFG_SETUP_DATA
    call fw_cfg_read
    ; DS = ES = FS = GS = SS = the setup's segment, CS:IP = segment + 20h : 0, SP = the
    ; heap's end (QEMU sets heap_end_ptr with CAN_USE_HEAP), interrupts off
    shr ebx, 4
    mov edi, linux_rm_block
    mov [edi + RM_GS], bx
    mov [edi + RM_FS], bx
    mov [edi + RM_ES], bx
    mov [edi + RM_DS], bx
    mov [edi + RM_SS], bx
    lea eax, [ebx + LINUX_REAL_MODE_CS_OFFSET]
    mov [edi + RM_CS], ax
    mov word ptr [edi + RM_IP], 0
    mov word ptr [edi + RM_FLAGS], 0
    mov ax, LINUX_DEFAULT_HEAP_END
    test byte ptr [linux_zero_page + LINUX_HDR_LOADFLAGS], LINUX_CAN_USE_HEAP
    jz linux_rm_sp
    mov ax, [linux_zero_page + LINUX_HDR_HEAP_END_PTR]
linux_rm_sp:
    mov [edi + RM_SP], ax
    mov esi, edi
    jmp bios16_enter_real_mode
