; First 32-bit code: flat segments, the stack, zeroed bss, SSE when the CPU has SSE2 (for
; checksum_sum), then the generated init chain.
; In: CS=SEL_CODE32 from entry16, interrupts off.  Does not return.
.global cpu_has_sse2
.bss cpu_has_sse2, 4
.global entry32
entry32:
    mov eax, SEL_DATA32
    mov ds, eax
    mov es, eax
    mov ss, eax
    mov fs, eax
    mov gs, eax
    ; bss is firmware RAM: nothing in it survives a reset, so clear it before any step runs
    mov edi, __bss_start
    mov ecx, (__bss_end - __bss_start) / 4
    xor eax, eax
    rep stosd
    mov esp, stack_top
    cld
    mov eax, CPUID_LEAF_FEATURES
    cpuid
    bt edx, CPUID_EDX_SSE2
    jnc no_sse2
    mov eax, cr4
    or eax, CR4_OSFXSR
    mov cr4, eax
    inc byte ptr [cpu_has_sse2]
no_sse2:
    ; the build generates init_chain: every plugin step in stage order, then the loaders
    call init_chain
    ; init_chain panics itself when no loader boots the kernel; this is a backstop
halt_forever:
    cli
    hlt
    jmp halt_forever
