; optionrom_pci_list_bus0: the functions of bus 0, found by probing it: optionrom_pci_list
; itself without the pci walk in the build, list_walk.asm's fallback when the walk did not
; run (pci.skip_with_acpi).  Also the pieces both listings share (optionrom_list_add,
; optionrom_list_done).

; optionrom_pci_list_bus0: one walk of bus 0 (bridges' ROM BARs are elsewhere and not ours):
; every present type-0 function into optionrom_functions (bdf | display << 16), counted in
; optionrom_function_count.  Per device 1 config read (ID), per present function 2 more
; (header type, class; pci_config: one device access each on MMCONFIG, two on pc).
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global optionrom_pci_list_bus0
optionrom_pci_list_bus0:
    xor ebx, ebx
    mov edi, optionrom_functions
list_loop:
    mov esi, ebx
    shl esi, PCI_BDF_SHIFT
    call optionrom_cfg_read
    cmp ax, PCI_VENDOR_NONE
    je list_absent
    lea esi, [esi + PCI_HEADER_DWORD]
    call optionrom_cfg_read
    shr eax, PCI_HEADER_TYPE_SHIFT
    mov ecx, eax                  ; ECX = header type
    test al, PCI_HEADER_TYPE_MASK
    jnz list_next
    call optionrom_list_add
list_next:
    test ebx, PCI_FUNCTIONS_PER_DEVICE - 1
    jnz list_function
    test cl, PCI_HEADER_MULTIFUNCTION
    jnz list_function
list_absent:
    test ebx, PCI_FUNCTIONS_PER_DEVICE - 1
    jnz list_function
    add ebx, PCI_FUNCTIONS_PER_DEVICE
    jmp list_more
list_function:
    inc ebx
list_more:
    cmp ebx, PCI_DEVICES_PER_BUS * PCI_FUNCTIONS_PER_DEVICE
    jb list_loop
.global optionrom_list_done
optionrom_list_done:
    sub edi, optionrom_functions
    shr edi, 2
    mov [optionrom_function_count], edi
    ret

; optionrom_list_add: the type-0 function EBX into optionrom_functions at EDI (bdf |
; display << OPROM_FUNCTION_DISPLAY_SHIFT).  One config read (its class).
; In: EBX = bdf, EDI = the next entry.  Out: EDI past it.  Clobbers: EAX, EDX, ESI.
.global optionrom_list_add
optionrom_list_add:
    mov esi, ebx
    shl esi, PCI_BDF_SHIFT
    or esi, PCI_CLASS_DWORD
    call optionrom_cfg_read
    shr eax, PCI_BASE_CLASS_SHIFT
    cmp eax, PCI_CLASS_DISPLAY
    sete al
    movzx eax, al
    shl eax, OPROM_FUNCTION_DISPLAY_SHIFT
    or eax, ebx
    stosd
    ret
