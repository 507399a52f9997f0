; A kernel that needs its real-mode setup code (see linux_real.asm) in a ROM without the
; bios16 plugin: refuse it, naming the reason and the fix, rather than jump to an entry
; the kernel does not have.  The three ways a header says so (boot.rst: protocol before
; 2.02, no LOADED_HIGH, code32_start 0) share one message: the fix is the same.
; linux_needs_real (jumped to by linux_probe).  Does not return.
.global linux_needs_real
linux_needs_real:
    call panic_here
    .asciz "linux: kernel has no 32-bit entry (code32_start 0, protocol < 2.02 or a zImage); it needs real mode: build with --plugin bios16"
