; Mapping a function's expansion ROM at the address pci_assign gave it (docs/boards.md,
; "For other features": pci_assign_rom_map / pci_assign_rom_unmap).

; optionrom_rom_map: In: EBX = bdf.  Out: ESI = where the ROM is readable (0: none),
; ECX = its size (from pci_assign's table, no device access).  Clobbers: EAX, EDX, EDI.
.global optionrom_rom_map
optionrom_rom_map:
    mov eax, ebx
    call pci_assign_rom_map
    mov esi, eax
    test eax, eax
    jz assign_done
    ; its size: the ROM entry of this function in pci_assign_bars
    mov edi, pci_assign_bars
    mov edx, [pci_assign_bar_count]
assign_find:
    test edx, edx
    jz assign_unknown
    cmp [edi + PCI_BAR_BDF], bx
    jne assign_next
    test byte ptr [edi + PCI_BAR_FLAGS], PCI_BARF_ROM
    jz assign_next
    cmp esi, [edi + PCI_BAR_BASE]
    je assign_found
assign_next:
    add edi, PCI_BAR_ENTRY_SIZE
    dec edx
    jmp assign_find
assign_found:
    mov ecx, [edi + PCI_BAR_SIZE]
assign_done:
    ret
assign_unknown:
    ; pci_assign mapped a ROM it has no entry for: cannot happen; treat as none
    call optionrom_rom_unmap
    xor esi, esi
    ret

; optionrom_rom_unmap: In: EBX = bdf.  Clobbers: EAX, ECX, EDX, ESI, EDI.
.global optionrom_rom_unmap
optionrom_rom_unmap:
    mov eax, ebx
    jmp pci_assign_rom_unmap
