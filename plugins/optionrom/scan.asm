; optionrom_run: find, check, shadow and initialise option ROMs (PCI Firmware Specification
; 3.0, 5.1; BIOS Boot Specification 1.01, 3 and 6).  Constants in optionrom.inc.

.bss optionrom_next, 4            ; where the next image goes in C0000h-EFFFFh
.bss optionrom_pass, 4            ; 1: display controllers only, 0: every other function
.bss optionrom_vga_done, 4        ; a VGA BIOS has run
.bss optionrom_bdf, 4             ; the function of the ROM being initialised
.bss optionrom_functions, OPROM_FUNCTIONS_MAX * 4   ; bus 0's type-0 functions
.bss optionrom_function_count, 4
; boot entry lists (optionrom.inc, OPROM_ENTRY_*): a count dword, then up to
; OPROM_MAX_ENTRIES entries (vector, bdf) from the PnP headers, in the order the ROMs ran
.global optionrom_bevs, optionrom_bcvs
.bss optionrom_bevs, OPROM_LIST_SIZE, 4
.bss optionrom_bcvs, OPROM_LIST_SIZE, 4

; optionrom_run (step, stage late, after bios16_install and before the boards lock the
; F-segment): make C0000h-EFFFFh RAM, run the VGA BIOS (fw_cfg vgaroms/*, else the first
; display controller's ROM BAR) at C0000h and hook INT 10h so that teletype output reaches
; COM1 as well, then the other PCI functions' ROMs (optionrom_pci_list: the pci walk's
; functions, else bus 0's) and fw_cfg genroms/* (but QEMU's own -kernel loaders), record
; their BEV/BCV entries, and make the area read-only.
; Nothing happens without PCI (board_pci_host = 0) or on another chipset (a warning).
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global optionrom_run
optionrom_run:
    cmp dword ptr [board_pci_host], 0
    je run_done
    call optionrom_shadow_find
    mov [optionrom_pam0], eax
    test eax, eax
    jz run_unknown_chipset
    mov al, OPROM_PAM_READ_WRITE
    call optionrom_shadow_set
    mov dword ptr [optionrom_next], OPROM_AREA_START
    call optionrom_pci_list
    ; the VGA BIOS first, at C0000h
    mov esi, optionrom_vgaroms
    call optionrom_fw_cfg_roms
    cmp dword ptr [optionrom_vga_done], 0
    jne run_others
    mov dword ptr [optionrom_pass], 1
    call optionrom_pci_pass
run_others:
    mov dword ptr [optionrom_pass], 0
    call optionrom_pci_pass
    mov esi, optionrom_genroms
    call optionrom_fw_cfg_roms
    mov al, OPROM_PAM_READ_ONLY
    call optionrom_shadow_set
run_done:
    ret
run_unknown_chipset:
    mov esi, msg_chipset
    jmp warn

; optionrom_pci_pass: the ROM of every listed function of the pass's kind (optionrom_pass:
; 1 display controllers, of which only the first VGA BIOS runs; 0 the others), in bus
; order.  Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
optionrom_pci_pass:
    xor ecx, ecx
pass_loop:
    cmp ecx, [optionrom_function_count]
    jae pass_done
    mov ebx, [optionrom_functions + ecx * 4]
    mov eax, ebx
    shr eax, OPROM_FUNCTION_DISPLAY_SHIFT
    and ebx, OPROM_FUNCTION_BDF_MASK
    cmp eax, [optionrom_pass]
    jne pass_next
    test eax, eax
    jz pass_rom
    cmp dword ptr [optionrom_vga_done], 0
    jne pass_next                 ; one VGA BIOS only
pass_rom:
    push ecx
    call optionrom_pci_rom
    pop ecx
pass_next:
    inc ecx
    jmp pass_loop
pass_done:
    ret

; optionrom_pci_rom: one function's ROM: mapped (optionrom_rom_map), its x86 image checked
; against the function's IDs and copied to the shadow, unmapped, run.  A display controller
; gets I/O and memory decoding on for its legacy VGA ranges.
; In: EBX = bdf, EAX = 1 for a display controller.
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
optionrom_pci_rom:
    push eax
    call optionrom_rom_map
    test esi, esi
    jz rom_done
    push esi
    mov esi, ebx
    shl esi, PCI_BDF_SHIFT
    call optionrom_cfg_read
    mov edx, eax
    pop esi
    call optionrom_find_image
    jc rom_unmap
    call optionrom_copy
rom_unmap:
    setnc al                      ; AL = copied
    push eax
    call optionrom_rom_unmap
    pop eax
    test al, al
    jz rom_done
    cmp dword ptr [esp], 0
    je rom_run
    mov esi, ebx
    shl esi, PCI_BDF_SHIFT
    or esi, PCI_COMMAND
    call optionrom_cfg_read
    or eax, PCI_COMMAND_IO | PCI_COMMAND_MEMORY
    mov ecx, eax
    mov eax, esi
    call pci_write16
rom_run:
    mov eax, ebx
    pop ebx                       ; EBX = display controller
    jmp optionrom_init
rom_done:
    pop eax
    ret

; optionrom_fw_cfg_roms: every fw_cfg file named <prefix>*, read into the shadow, checked
; and run; a genroms/ file QEMU made for its own -kernel loading is left alone (the ROM's
; loaders boot -kernel).  The VGA BIOS is the first vgaroms/ file.
; In: ESI = the prefix.  Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
optionrom_fw_cfg_roms:
    mov ebx, fw_cfg_dir + 4
    mov ecx, [fw_cfg_dir]
    bswap ecx
fwrom_loop:
    test ecx, ecx
    jz fwrom_done
    push ecx
    push esi
    lea edi, [ebx + FW_CFG_FILE_NAME_OFF]
    call optionrom_has_prefix
    jne fwrom_next
    call optionrom_is_kernel_loader
    je fwrom_next
    mov esi, [esp]
    cmp esi, optionrom_vgaroms
    jne fwrom_read
    cmp dword ptr [optionrom_vga_done], 0
    jne fwrom_next                ; one VGA BIOS only
fwrom_read:
    push ebx
    call optionrom_fw_cfg_rom
    pop ebx
fwrom_next:
    pop esi
    pop ecx
    add ebx, FW_CFG_FILE_ENTRY_SIZE
    dec ecx
    jmp fwrom_loop
fwrom_done:
    ret

; optionrom_fw_cfg_rom: one fw_cfg ROM file.  In: EBX = its directory entry,
; ESI = its prefix (vgaroms/: a display ROM).  Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
optionrom_fw_cfg_rom:
    xor eax, eax
    cmp esi, optionrom_vgaroms
    sete al
    push eax
    mov ecx, [ebx + FW_CFG_FILE_SIZE_OFF]
    bswap ecx
    mov edi, [optionrom_next]
    mov eax, OPROM_AREA_END
    sub eax, edi
    cmp ecx, eax
    ja fwrom_too_big
    movzx eax, word ptr [ebx + FW_CFG_FILE_SELECT_OFF]
    xchg al, ah
    shl eax, 16
    or eax, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ
    push ecx
    call fw_cfg_xfer
    pop ecx
    ; in place: any IDs, then the function with those IDs (AX for its init)
    mov esi, [optionrom_next]
    xor edx, edx
    call optionrom_find_image
    jc fwrom_skip
    push edx
    call optionrom_copy
    pop edx
    jc fwrom_skip
    mov eax, OPROM_NO_BDF
    test edx, edx
    jz fwrom_run
    call optionrom_find_function
fwrom_run:
    pop ebx
    jmp optionrom_init
fwrom_too_big:
    mov esi, msg_too_big
    call warn
fwrom_skip:
    pop eax
    ret

; optionrom_find_function: the first bus-0 function with these IDs (one config read per
; function probed).  In: EDX = device << 16 | vendor.  Out: EAX = its bdf, OPROM_NO_BDF when none.  Clobbers: ECX, EDX, ESI.
optionrom_find_function:
    xor ecx, ecx
ff_loop:
    mov esi, ecx
    shl esi, PCI_BDF_SHIFT
    push edx
    call optionrom_cfg_read
    pop edx
    cmp eax, edx
    je ff_found
    inc ecx
    cmp ecx, PCI_DEVICES_PER_BUS * PCI_FUNCTIONS_PER_DEVICE
    jb ff_loop
    mov eax, OPROM_NO_BDF
    ret
ff_found:
    mov eax, ecx
    ret

; optionrom_copy: the checked image into the shadow at optionrom_next.
; In: ESI = image, ECX = length.  Out: ESI = where it now is.  CF set (with a warning) when
; it does not fit.  Clobbers: EAX, ECX, EDI.
optionrom_copy:
    mov edi, [optionrom_next]
    mov eax, OPROM_AREA_END
    sub eax, edi
    cmp ecx, eax
    ja copy_no_room
    cmp esi, edi
    je copy_done
    push edi
    rep movsb
    pop esi
copy_done:
    clc
    ret
copy_no_room:
    mov esi, msg_no_room
    call warn
    stc
    ret

; optionrom_init: run the image at optionrom_next, let it shrink, record its PnP BEV/BCV
; entries, move optionrom_next past what it kept (2 KiB aligned).  After a display
; controller's ROM, INT 10h teletype output is mirrored to COM1.
; In: EAX = the bdf for AX (OPROM_NO_BDF: none), EBX = 1 for a display controller's ROM.
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
optionrom_init:
    push ebx
    mov [optionrom_bdf], eax
    call optionrom_call_init
    pop ebx
    test ebx, ebx
    jz init_kept
    mov dword ptr [optionrom_vga_done], 1
    call optionrom_hook_int10
init_kept:
    mov edi, [optionrom_next]
    xor ecx, ecx
    cmp word ptr [edi], OPROM_SIGNATURE
    jne init_advance
    movzx ecx, byte ptr [edi + OPROM_SIZE]
    shl ecx, OPROM_UNIT_SHIFT
    call optionrom_pnp
init_advance:
    lea eax, [edi + ecx + OPROM_ALIGN - 1]
    and eax, 0 - OPROM_ALIGN
    mov [optionrom_next], eax
    ret

; optionrom_call_init: far-call the init entry of the image at optionrom_next in real mode
; (bios16_call16) with AX = bdf, BX = DX = DI = FFFFh (no ISA PnP card), ES = 0, on a stack
; of its own (OPROM_STACK_SEGMENT), interrupts off as the ROM finds them.
; In: EAX = the bdf.  Clobbers: EAX, ECX, EDX, ESI, EDI.
optionrom_call_init:
    sub esp, OPROM_CALL_BLOCK
    mov esi, eax
    mov edi, esp
    mov ecx, OPROM_CALL_BLOCK
    xor eax, eax
    rep stosb
    mov [esp + RM_EAX], esi
    mov dword ptr [esp + RM_EBX], OPROM_NO_ISA
    mov dword ptr [esp + RM_EDX], OPROM_NO_ISA
    mov dword ptr [esp + RM_EDI], OPROM_NO_ISA
    mov word ptr [esp + RM_IP], OPROM_INIT
    mov eax, [optionrom_next]
    shr eax, PARAGRAPH_SHIFT
    mov [esp + RM_CS], ax
    mov word ptr [esp + RM_SS], OPROM_STACK_SEGMENT
    mov word ptr [esp + RM_SP], OPROM_STACK_TOP
    mov esi, esp
    call bios16_call16
    add esp, OPROM_CALL_BLOCK
    ret

; optionrom_pnp: record the BEV and BCV of each PnP expansion header of the image.
; In: EDI = the image, ECX = its length.  Clobbers: EAX, EDX, ESI.
optionrom_pnp:
    movzx esi, word ptr [edi + OPROM_PNP_PTR]
pnp_loop:
    test esi, esi
    jz pnp_done
    lea eax, [esi + PNP_LENGTH]
    cmp eax, ecx
    ja pnp_done
    add esi, edi
    cmp dword ptr [esi], PNP_SIGNATURE
    jne pnp_done
    movzx eax, word ptr [esi + PNP_BEV]
    mov edx, optionrom_bevs
    call optionrom_record
    movzx eax, word ptr [esi + PNP_BCV]
    mov edx, optionrom_bcvs
    call optionrom_record
    movzx esi, word ptr [esi + PNP_NEXT]
    jmp pnp_loop
pnp_done:
    ret

; optionrom_record: add an entry point of the image at EDI, with optionrom_bdf, to a list
; (optionrom_bevs or optionrom_bcvs; more than OPROM_MAX_ENTRIES are dropped).
; In: EAX = its offset (0: none), EDX = the list.  Clobbers: EAX.
optionrom_record:
    test eax, eax
    jz record_done
    push ebx
    mov ebx, [edx]
    cmp ebx, OPROM_MAX_ENTRIES
    jae record_full
    push edi
    shl edi, 16 - PARAGRAPH_SHIFT
    or eax, edi
    shl ebx, OPROM_ENTRY_SHIFT
    add ebx, edx
    mov [ebx + OPROM_LIST_ENTRIES + OPROM_ENTRY_VECTOR], eax
    mov edi, [optionrom_bdf]
    mov [ebx + OPROM_LIST_ENTRIES + OPROM_ENTRY_BDF], edi
    pop edi
    inc dword ptr [edx]
record_full:
    pop ebx
record_done:
    ret

; optionrom_hook_int10: when the VGA BIOS took INT 10h, keep its vector for optionrom_int10
; and install that (teletype to COM1 too).  Clobbers: EAX.
optionrom_hook_int10:
    mov eax, [IVT_BASE + OPROM_INT_VIDEO * 4]
    cmp eax, (FSEG_SEGMENT << 16) | (bios16_int10 - FSEG_BASE)
    je hook_done
    mov [optionrom_vga_vector], eax
    mov dword ptr [IVT_BASE + OPROM_INT_VIDEO * 4], (FSEG_SEGMENT << 16) | (optionrom_int10 - FSEG_BASE)
hook_done:
    ret

; optionrom_has_prefix: ZF set when the name at EDI starts with the NUL-terminated prefix
; at ESI.  Clobbers: EAX, ESI, EDI.
optionrom_has_prefix:
    mov al, [esi]
    test al, al
    jz prefix_done
    cmp al, [edi]
    jne prefix_done
    inc esi
    inc edi
    jmp optionrom_has_prefix
prefix_done:
    ret

; optionrom_is_kernel_loader: ZF set when the directory entry at EBX names one of QEMU's
; -kernel loader ROMs (hw/i386/x86.c: linuxboot, multiboot, pvh), which this firmware's
; loaders replace, or its kvmvapic.bin (hw/i386/kvmvapic.c: TPR patching for old Windows
; under KVM; the firmware targets TCG and current guests).  Clobbers: ESI, EDI.
optionrom_is_kernel_loader:
    lea edi, [ebx + FW_CFG_FILE_NAME_OFF]
    mov esi, optionrom_kernel_loaders
kl_loop:
    cmp byte ptr [esi], 0
    je kl_none
    call name_eq
    je kl_done
kl_skip:
    lodsb
    test al, al
    jnz kl_skip
    jmp kl_loop
kl_none:
    cmp esi, 0                    ; ESI is not 0: ZF clear
kl_done:
    ret

; optionrom_cfg_read: pci_read32 (feature pci_config: MMCONFIG, else mechanism #1) with the
; address in ESI, which stays for a following access to the same register.
; In: ESI = bdf << 8 | register (dword aligned).  Out: EAX.  Clobbers: EDX.
.global optionrom_cfg_read
optionrom_cfg_read:
    mov eax, esi
    jmp pci_read32

optionrom_vgaroms:
    .asciz "vgaroms/"
optionrom_genroms:
    .asciz "genroms/"
optionrom_kernel_loaders:
    .asciz "genroms/linuxboot.bin"
    .asciz "genroms/linuxboot_dma.bin"
    .asciz "genroms/multiboot.bin"
    .asciz "genroms/multiboot_dma.bin"
    .asciz "genroms/pvh.bin"
    .asciz "genroms/kvmvapic.bin"
    .byte 0
msg_chipset:
    .asciz "optionrom: the host bridge is neither i440fx nor Q35, so there is no shadow RAM for option ROMs; none run (use -M pc or -M q35)"
msg_too_big:
    .asciz "optionrom: an option ROM is larger than its window; skipped"
msg_no_room:
    .asciz "optionrom: no room left in C0000h-EFFFFh for an option ROM; skipped (use fewer devices with ROMs, or romfile= on those that need none)"
