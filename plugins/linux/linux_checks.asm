; Header checks (issue 16): what the setup header says that, unchecked, ends in a silent
; hang inside the kernel.  Each refuses the kernel with a panic naming the reason and the
; fix.  Loader option checks=off leaves this fragment out (linux_check_header is then a
; plain ret).
;
; linux_check_header
; In: EAX = the protected-mode kernel's load address; EBP = linux_zero_page + LINUX_ZP_BIAS
;     (linux.inc), the page holding QEMU's setup header (boot protocol 2.02+, LOADED_HIGH);
;     [kernel_size] = FW_CFG_KERNEL_SIZE.
; Out: returns when the kernel can start.  Clobbers: EAX, EBX, ECX, EDX, EDI.
.global linux_check_header
linux_check_header:
    mov edi, eax
    movzx ebx, word ptr [ebp + LINUX_HDR_VERSION - LINUX_ZP_BIAS]
    ; a truncated file: syssize (2.04+) is the protected-mode part's size, in paragraphs,
    ; as the kernel was built; QEMU loaded kernel_size bytes of it
    cmp ebx, LINUX_PROTOCOL_SYSSIZE32
    jb lch_done
    mov eax, [kernel_size]
    add eax, LINUX_PARAGRAPH - 1
    shr eax, LINUX_PARAGRAPH_SHIFT
    cmp eax, [ebp + LINUX_HDR_SYSSIZE - LINUX_ZP_BIAS]
    jb lch_truncated
    ; the memory the kernel needs (2.10+): init_size bytes from its runtime start, which
    ; boot.rst ("Details of Header Fields", init_size) derives from pref_address, the load
    ; address and kernel_alignment; they must be RAM and clear of the initrd
    cmp ebx, LINUX_PROTOCOL_INIT_SIZE
    jb lch_long_mode
    mov eax, [ebp + LINUX_HDR_PREF_ADDRESS - LINUX_ZP_BIAS]
    cmp byte ptr [ebp + LINUX_HDR_RELOCATABLE - LINUX_ZP_BIAS], 0
    je lch_start
    cmp eax, edi
    jae lch_align
    mov eax, edi
lch_align:
    mov ecx, [ebp + LINUX_HDR_KERNEL_ALIGNMENT - LINUX_ZP_BIAS]
    dec ecx
    add eax, ecx
    jc lch_no_ram
    not ecx
    and eax, ecx
lch_start:
    mov edx, eax
    add edx, [ebp + LINUX_HDR_INIT_SIZE - LINUX_ZP_BIAS]
    jc lch_no_ram
    call e820_is_ram
    jc lch_no_ram
    mov ecx, [ebp + LINUX_HDR_RAMDISK_SIZE - LINUX_ZP_BIAS]
    jecxz lch_long_mode
    cmp [ebp + LINUX_HDR_RAMDISK_IMAGE - LINUX_ZP_BIAS], edx
    jae lch_long_mode
    add ecx, [ebp + LINUX_HDR_RAMDISK_IMAGE - LINUX_ZP_BIAS]
    cmp ecx, eax
    ja lch_no_ram                   ; the initrd in that room: the same fix
lch_long_mode:
    ; a 64-bit kernel (xloadflags, 2.12+) needs long mode even through its 32-bit entry,
    ; where it halts without a word when the CPU lacks it
    cmp ebx, LINUX_PROTOCOL_XLOADFLAGS
    jb lch_done
    test byte ptr [ebp + LINUX_HDR_XLOADFLAGS - LINUX_ZP_BIAS], LINUX_XLF_KERNEL_64
    jz lch_done
    mov eax, CPUID_EXT_MAX
    cpuid
    cmp eax, CPUID_EXT_FEATURES
    jb lch_no_long_mode
    mov eax, CPUID_EXT_FEATURES
    cpuid
    test edx, CPUID_EXT_EDX_LM
    jz lch_no_long_mode
lch_done:
    ret
lch_no_ram:
    call panic_here
    .asciz "linux: no room for init_size (RAM, initrd): give QEMU more -m"
lch_truncated:
    call panic_here
    .asciz "linux: truncated bzImage (syssize): copy it again"
lch_no_long_mode:
    call panic_here
    .asciz "linux: 64-bit kernel, CPU without long mode: use -cpu max"
