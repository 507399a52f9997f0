; The 32-bit entry (boot.rst, "32-bit Boot Protocol"): at code32_start, in flat protected
; mode with __BOOT_CS = 0x10 and __BOOT_DS = 0x18 (our GDT), interrupts off.
; In: ESI = boot_params, [linux_kernel_addr] = the protected-mode kernel.
; Out: enters the kernel with EBP = EDI = EBX = 0.  Does not return.
.global linux_enter32
linux_enter32:
    xor ebx, ebx
    xor ebp, ebp
    xor edi, edi
    jmp dword ptr [linux_kernel_addr]
