; Core steps around the plugins' work: the legacy reservations and the kernel check.

.global kernel_size, kernel_reason
.bss kernel_size, 4
; kernel_reason: why a loader declined a kernel QEMU prepared in its format (the loader's
; probe stores it on its way out, no_loader_panic prints it): the address of its format's
; files (kernel_format_files_<loader>) as a .long, followed by the message.  0: none.
.bss kernel_reason, 4

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
    call panic_here
    .asciz "no kernel: start QEMU with -kernel"


; no_loader_panic: no loader of this ROM took the kernel; say why.  When a loader of this
; ROM declined a kernel of its own format (QEMU's fw_cfg has that format's files), the
; reason it left in kernel_reason is the message: the kernel is bad, not the ROM.  Otherwise
; name what QEMU prepared, the first format of the generated table kernel_formats (the
; other installed loaders' Loader.formats, qbootcore/build.py) whose files it has, and the
; loaders this ROM has.
; In: ESI = the ROM's loader names.  Does not return.
.global no_loader_panic
no_loader_panic:
    mov ebx, esi
    mov esi, [kernel_reason]
    test esi, esi
    jz kind_table
    push esi
    mov esi, [esi]                  ; the record: .long the format's file list, the message
    call kernel_format_present
    pop esi
    jz kind_table
    add esi, 4
    jmp panic
kind_table:
    mov ebp, kernel_formats
kind_next:
    mov esi, [ebp]
    mov edi, kind_other
    test esi, esi
    jz kind_print
    add ebp, 8
    call kernel_format_present
    jz kind_next
    mov edi, [ebp - 4]
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

; kernel_format_present: does QEMU's fw_cfg directory hold one of a kernel format's files
; (a loader's probe may use it with its kernel_format_files_<loader>)?
; In: ESI = the file names, each NUL-terminated, ended by an empty one.
; Out: ZF clear and EAX = the file's selector when one is there; ZF set, EAX = 0 when none.
; Clobbers: ECX, EDX, ESI, EDI.
.global kernel_format_present
kernel_format_present:
    cmp byte ptr [esi], 0
    je format_absent
    push esi
    call fw_cfg_find
    pop esi
    test eax, eax
    jnz format_done
format_skip:
    lodsb
    test al, al
    jnz format_skip
    jmp kernel_format_present
format_absent:
    xor eax, eax
format_done:
    ret

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
    call panic_here
    .asciz "kernel loads over firmware RAM"
load_not_ram:
    call panic_here
    .asciz "kernel, initrd or command line outside e820 RAM"

kind_other:
    .asciz "a kernel of unknown format"
msg_no_loader_1:
    .asciz "no loader for "
msg_no_loader_2:
    .asciz "; ROM has: "
msg_no_loader_3:
    .asciz ". Rebuild with its --loader."
