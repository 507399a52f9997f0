; Core steps around the plugins' work: the legacy reservations and the kernel check.

.global kernel_size
.bss kernel_size, 4

; core_reserve (step, stage reserve): the EBDA and the F-segment (the BIOS, with the
; tables alloc_fseg places there) are not RAM for the guest.  The VGA window and option ROM
; space in between are left out of the map, as on real PCs, so that Linux can use them for
; the PCI host bridge's legacy windows.
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global core_reserve
core_reserve:
    mov eax, EBDA_START
    mov edx, VGA_WINDOW_START - EBDA_START
    mov ebx, E820_RESERVED
    call e820_add
    mov eax, VGA_WINDOW_START
    mov edx, FSEG_BASE - VGA_WINDOW_START
    mov ebx, E820_HOLE
    call e820_add
    mov eax, FSEG_BASE
    mov edx, BIOS_AREA_END - FSEG_BASE
    mov ebx, E820_RESERVED
    jmp e820_add

; kernel_check (step, stage boot, first): QEMU sets FW_CFG_KERNEL_SIZE for every -kernel
; (bzImage, multiboot and PVH alike); zero means there is nothing to boot.
; Out: kernel_size set.  Clobbers: EAX, ECX, EDX, EDI.
.global kernel_check
kernel_check:
    mov eax, FW_CFG_KERNEL_SIZE
    call fw_cfg_read_item
    mov [kernel_size], eax
    test eax, eax
    jz no_kernel
    ret
no_kernel:
    mov esi, msg_no_kernel
    jmp panic

msg_no_kernel:
    .asciz "no kernel: QEMU was started without -kernel. qboot-fw boots the kernel QEMU loads; add -kernel <bzImage> (and -initrd/-append as needed)"
