; The 64-bit entry (boot.rst, "64-bit Boot Protocol"), used when the kernel's xloadflags
; has XLF_KERNEL_64 (protocol 2.12+), else the 32-bit entry: the firmware enables long mode
; with page tables that identity-map the low 4 GiB (kernel, boot_params, command line and
; initrd all lie there: QEMU loads nothing higher), loads a GDT whose __BOOT_CS (0x10) is a
; 64-bit code segment and jumps to the protected-mode kernel + 0x200 (startup_64).
; In: ESI = boot_params, [linux_kernel_addr] = the protected-mode kernel.  Does not return.

.bss linux_pml4, PAGE_SIZE, PAGE_SIZE
.bss linux_pdpt, PAGE_SIZE, PAGE_SIZE
.bss linux_pd, 4 * PAGE_SIZE, PAGE_SIZE

.global linux_enter
linux_enter:
    cmp word ptr [linux_zero_page + LINUX_HDR_VERSION], LINUX_PROTOCOL_XLOADFLAGS
    jb linux_enter32
    test byte ptr [linux_zero_page + LINUX_HDR_XLOADFLAGS], LINUX_XLF_KERNEL_64
    jz linux_enter32
    ; PML4[0] -> PDPT; PDPT[0..3] -> four page directories of 2 MiB pages
    ; (Intel SDM Vol. 3A, 4.5 "4-Level Paging")
    mov dword ptr [linux_pml4], linux_pdpt | PTE_PRESENT | PTE_WRITE
    mov edi, linux_pdpt
    mov eax, linux_pd | PTE_PRESENT | PTE_WRITE
    mov ecx, 4
pdpt_next:
    mov [edi], eax
    add eax, PAGE_SIZE
    add edi, 8
    dec ecx
    jnz pdpt_next
    mov edi, linux_pd
    mov eax, PTE_PRESENT | PTE_WRITE | PTE_LARGE
    mov ecx, 4 * PAGE_TABLE_ENTRIES
pd_next:
    mov [edi], eax
    add eax, LARGE_PAGE_SIZE
    add edi, 8
    dec ecx
    jnz pd_next
    ; long mode (Intel SDM Vol. 3A, 10.8.5 "Initializing IA-32e Mode")
    lgdt [linux_gdt64_descriptor]
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, linux_pml4
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME
    wrmsr
    mov eax, cr0
    or eax, CR0_PG
    mov cr0, eax
    ; EAX = startup_64, ESI = boot_params survive the far jump into the 64-bit segment
    mov eax, [linux_kernel_addr]
    add eax, LINUX_STARTUP_64_OFFSET
    .byte 0xEA                    ; jmp ptr16:32 (from compatibility mode)
    .long linux_long_mode
    .word SEL_CODE32
linux_long_mode:
    ; 64-bit code from here: these encodings mean the same in 64-bit mode (32-bit operands
    ; zero-extend, which also clears the upper halves the mode switch left undefined;
    ; "jmp eax" is jmp rax)
    mov eax, eax
    mov esi, esi
    xor ebx, ebx
    xor ebp, ebp
    xor edi, edi
    jmp eax
