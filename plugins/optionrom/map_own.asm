; Mapping a function's expansion ROM when no pci_assign gave it an address (PCI Local Bus
; 3.0, 6.2.5.2): the ROM BAR is sized, put at OPROM_WINDOW, enabled with memory decoding,
; and afterwards both registers get their old values back.  One function at a time.

.bss optionrom_saved_rombar, 4
.bss optionrom_saved_command, 4

; optionrom_rom_map: In: EBX = bdf.  Out: ESI = where the ROM is readable (0: the function
; has none, or it is larger than the window: a warning), ECX = its size.  6 config accesses
; with a ROM, 4 without (pci_config: one device access each on MMCONFIG, two on pc).
; Clobbers: EAX, EDX, EDI.
.global optionrom_rom_map
optionrom_rom_map:
    mov esi, ebx
    shl esi, PCI_BDF_SHIFT
    or esi, PCI_ROM_BAR
    call optionrom_cfg_read
    mov [optionrom_saved_rombar], eax
    mov ecx, PCI_ROM_ADDRESS_MASK
    mov eax, esi
    call pci_write32
    call optionrom_cfg_read
    and eax, PCI_ROM_ADDRESS_MASK
    jz map_none
    neg eax                       ; the size: the lowest writable address bit
    cmp eax, OPROM_WINDOW_SIZE
    ja map_too_big
    mov edi, eax                  ; EDI = the size
    mov ecx, OPROM_WINDOW | PCI_ROM_ENABLE
    mov eax, esi
    call pci_write32
    mov esi, ebx
    shl esi, PCI_BDF_SHIFT
    or esi, PCI_COMMAND
    call optionrom_cfg_read
    mov [optionrom_saved_command], eax
    or eax, PCI_COMMAND_MEMORY
    mov ecx, eax
    mov eax, esi
    call pci_write16
    mov ecx, edi
    mov esi, OPROM_WINDOW
    ret
map_too_big:
    push esi
    mov esi, msg_too_big
    call warn
    pop esi
map_none:
    mov ecx, [optionrom_saved_rombar]
    mov eax, esi
    call pci_write32
    xor esi, esi
    ret

; optionrom_rom_unmap: the ROM BAR and the command register as they were.
; In: EBX = bdf (after optionrom_rom_map found a ROM).  2 config accesses.
; Clobbers: EAX, ECX, EDX, ESI.
.global optionrom_rom_unmap
optionrom_rom_unmap:
    mov esi, ebx
    shl esi, PCI_BDF_SHIFT
    lea eax, [esi + PCI_COMMAND]
    mov ecx, [optionrom_saved_command]
    call pci_write16
    lea eax, [esi + PCI_ROM_BAR]
    mov ecx, [optionrom_saved_rombar]
    jmp pci_write32

msg_too_big:
    .asciz "optionrom: a device's expansion ROM is larger than the mapping window (8 MiB); skipped"
