; Core steps around the plugins' work: the legacy reservations and the kernel check.

.global kernel_size
.bss kernel_size, 4

; core_reserve (step, stage reserve): the EBDA and the F-segment (the BIOS, with the
; tables alloc_fseg places there) are not RAM for the guest.  The VGA window and option ROM
; space in between are left out of the map, as on real PCs, so that Linux can use them for
; the PCI host bridge's legacy windows.  The BDA says where the EBDA is and how much
; conventional memory is below it (two RAM writes, for every ROM: multiboot kernels place
; their real-mode trampolines by them).
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global core_reserve
core_reserve:
    mov word ptr [BDA_EBDA_SEGMENT], EBDA_START >> 4
    mov word ptr [BDA_BASE_MEMORY_KB], EBDA_START >> KB_SHIFT
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
; (bzImage, multiboot and PVH alike); zero means there is nothing to boot with the probes,
; so the loaders that boot without -kernel (a disk) get their turn (boot_without_kernel,
; generated in init_chain; it returns when none of them boots): -kernel always wins.
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
    call boot_without_kernel
    mov esi, msg_no_kernel
    jmp panic

msg_no_kernel:
    .asciz "no kernel: QEMU was started without -kernel. qboot-fw boots the kernel QEMU loads; add -kernel <bzImage> (and -initrd/-append as needed)"

; no_loader_panic: no loader of this ROM took the kernel; name what QEMU prepared (QEMU
; picks an option ROM for its own BIOS by the kernel's format and lists it in fw_cfg as
; genroms/<name>, hw/i386/x86.c x86_load_linux) and the loaders this ROM has.
; In: ESI = the ROM's loader names.  Does not return.
.global no_loader_panic
no_loader_panic:
    mov ebx, esi
    mov esi, kind_table
kind_next:
    lodsd
    test eax, eax
    jz kind_unknown
    mov edi, eax
    lodsd
    push esi
    push eax
    mov esi, edi
    call fw_cfg_find
    pop edi
    pop esi
    test eax, eax
    jz kind_next
    jmp kind_print
kind_unknown:
    mov edi, kind_other
kind_print:
    mov esi, msg_no_loader_1
    call panic_begin
    call console_puts
    mov esi, edi
    call console_puts
    mov esi, msg_no_loader_2
    call console_puts
    mov esi, ebx
    call console_puts
    mov esi, msg_no_loader_3
    call console_puts
    jmp panic_end

; load_check: refuse a load destination that overlaps the firmware's own RAM (bss, stack)
; or that is not RAM in the e820 map (e.g. a range a plugin reserved as persistent memory).
; In: EDI = start, ECX = length.  Out: returns when the range is fine.  Clobbers: EAX.
.global load_check
load_check:
    mov eax, edi
    add eax, ecx
    jc load_overlap
    cmp eax, REGION_BSS_START
    jbe load_not_bss
    cmp edi, REGION_BSS_END
    jb load_overlap
load_not_bss:
    push edx
    mov edx, eax
    mov eax, edi
    call e820_is_ram
    pop edx
    jc load_not_ram
    ret
load_overlap:
    mov esi, msg_load_overlap
    jmp panic
load_not_ram:
    mov esi, msg_load_not_ram
    jmp panic

kind_table:
    .long name_linuxboot_dma, kind_bzimage, name_linuxboot, kind_bzimage
    .long name_multiboot_dma, kind_multiboot, name_multiboot, kind_multiboot
    .long name_pvh, kind_pvh, 0
name_linuxboot_dma:
    .asciz "genroms/linuxboot_dma.bin"
name_linuxboot:
    .asciz "genroms/linuxboot.bin"
name_multiboot_dma:
    .asciz "genroms/multiboot_dma.bin"
name_multiboot:
    .asciz "genroms/multiboot.bin"
name_pvh:
    .asciz "genroms/pvh.bin"
kind_bzimage:
    .asciz "a Linux bzImage (loader: linux)"
kind_multiboot:
    .asciz "a multiboot kernel (loader: multiboot)"
kind_pvh:
    .asciz "an ELF kernel with a PVH entry note (loader: pvh)"
kind_other:
    .asciz "a kernel of unknown format"
msg_no_loader_1:
    .asciz "no loader in this ROM boots the kernel: QEMU found "
msg_no_loader_2:
    .asciz "; this ROM has: "
msg_no_loader_3:
    .asciz ". Rebuild it with the right --loader."
msg_load_not_ram:
    .asciz "QEMU placed part of the kernel, initrd or command line in memory the e820 map does not describe as RAM (a reserved or persistent-memory range?)"
msg_load_overlap:
    .asciz "the kernel asks to be loaded over the firmware's working memory (0x30000-0x4ffff)"
