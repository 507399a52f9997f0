; optionrom_pci_list with the pci walk in the build (list_bus0.asm is the other): the
; functions the walk found on every bus (pci_functions, docs/boards.md), so that ROMs of
; devices behind bridges (PCIe root ports, PCI bridges) run too.

; optionrom_pci_list: every type-0 function of pci_functions into optionrom_functions
; (bdf | display << 16), counted in optionrom_function_count.  One config read per
; type-0 function (its class, optionrom_list_add).  When the walk did not run
; (pci.skip_with_acpi and QEMU has ACPI), bus 0 probed instead (optionrom_pci_list_bus0).
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global optionrom_pci_list
optionrom_pci_list:
    cmp dword ptr [pci_function_count], 0
    je optionrom_pci_list_bus0
    xor ecx, ecx
    mov edi, optionrom_functions
walk_loop:
    cmp ecx, [pci_function_count]
    jae walk_done
    mov eax, ecx
    imul eax, eax, PCI_FUNC_ENTRY_SIZE
    test byte ptr [pci_functions + eax + PCI_FUNC_HEADER], PCI_HEADER_TYPE_MASK
    jnz walk_next                 ; bridges keep their ROM BAR elsewhere: not ours
    movzx ebx, word ptr [pci_functions + eax + PCI_FUNC_BDF]
    call optionrom_list_add
walk_next:
    inc ecx
    jmp walk_loop
walk_done:
    jmp optionrom_list_done
