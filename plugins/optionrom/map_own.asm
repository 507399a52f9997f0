; Mapping a function's expansion ROM when no pci_assign gave it an address (PCI Local Bus
; 3.0, 6.2.5.2): the ROM BAR is sized, put at OPROM_WINDOW, enabled with memory decoding,
; and afterwards both registers get their old values back.  One function at a time.

.bss optionrom_saved_rombar, 4
.bss optionrom_saved_command, 4

; optionrom_rom_map: In: EBX = bdf.  Out: ESI = where the ROM is readable (0: the function
; has none, or it is larger than the window: a warning), ECX = its size.  10 device
; accesses with a ROM, 6 without.  Clobbers: EAX, EDX, EDI.
.global optionrom_rom_map
optionrom_rom_map:
    mov esi, ebx
    shl esi, PCI_BDF_SHIFT
    or esi, PCI_ROM_BAR
    call optionrom_cfg_read
    mov [optionrom_saved_rombar], eax
    mov eax, PCI_ROM_ADDRESS_MASK
    call optionrom_cfg_write
    call optionrom_cfg_read
    and eax, PCI_ROM_ADDRESS_MASK
    jz map_none
    neg eax                       ; the size: the lowest writable address bit
    cmp eax, OPROM_WINDOW_SIZE
    ja map_too_big
    mov ecx, eax
    mov eax, OPROM_WINDOW | PCI_ROM_ENABLE
    call optionrom_cfg_write
    mov esi, ebx
    shl esi, PCI_BDF_SHIFT
    or esi, PCI_COMMAND
    call optionrom_cfg_read
    mov [optionrom_saved_command], eax
    or eax, PCI_COMMAND_MEMORY
    call optionrom_cfg_write16
    mov esi, OPROM_WINDOW
    ret
map_too_big:
    push esi
    mov esi, msg_too_big
    call warn
    pop esi
map_none:
    mov eax, [optionrom_saved_rombar]
    call optionrom_cfg_write
    xor esi, esi
    ret

; optionrom_rom_unmap: the ROM BAR and the command register as they were.
; In: EBX = bdf (after optionrom_rom_map found a ROM).  4 device accesses.
; Clobbers: EAX, EDX, ESI.
.global optionrom_rom_unmap
optionrom_rom_unmap:
    mov esi, ebx
    shl esi, PCI_BDF_SHIFT
    or esi, PCI_COMMAND
    mov eax, [optionrom_saved_command]
    call optionrom_cfg_write16
    mov esi, ebx
    shl esi, PCI_BDF_SHIFT
    or esi, PCI_ROM_BAR
    mov eax, [optionrom_saved_rombar]
    jmp optionrom_cfg_write

msg_too_big:
    .asciz "optionrom: a device's expansion ROM is larger than the mapping window (8 MiB); skipped"
