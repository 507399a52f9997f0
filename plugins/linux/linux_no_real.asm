; A kernel that needs its real-mode setup code (see linux_real.asm) in a ROM without the
; bios16 plugin: refuse it, naming the reason and the fix, rather than jump to an entry
; the kernel does not have.
; linux_needs_real (jumped to by linux_probe).  In: EBP = linux_zero_page + LINUX_ZP_BIAS,
; which holds the setup header.
; Does not return.
.global linux_needs_real
linux_needs_real:
    mov edi, msg_old_protocol
    cmp word ptr [ebp + LINUX_HDR_VERSION - LINUX_ZP_BIAS], LINUX_PROTOCOL_MIN
    jb lnr_panic
    mov edi, msg_zimage
    test byte ptr [ebp + LINUX_HDR_LOADFLAGS - LINUX_ZP_BIAS], LINUX_LOADED_HIGH
    jz lnr_panic
    mov edi, msg_no_entry32
lnr_panic:
    mov esi, msg_needs_real_1
    call panic_begin
    call console_puts
    mov esi, edi
    call console_puts
    mov esi, msg_needs_real_2
    call console_puts
    jmp panic_end

msg_needs_real_1:
    .asciz "linux: kernel has "
msg_old_protocol:
    .asciz "boot protocol < 2.02"
msg_zimage:
    .asciz "no LOADED_HIGH (a zImage)"
msg_no_entry32:
    .asciz "no 32-bit entry (code32_start 0)"
msg_needs_real_2:
    .asciz "; it needs real mode: build with --plugin bios16"
