; PCI configuration space access (feature pci_config), for the PCI walk, resource
; assignment and the disk loader's controllers.  Config space goes through the board's
; MMCONFIG when it has one (board_pci_host, boards/common: one device access per read or
; write), else through mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2: two).  Usable from stage
; chipset on (the board's chipset step sets board_pci_host), with or without the walk.
; Addresses are bdf << 8 | register (dword aligned), as in a mechanism #1 CONFIG_ADDRESS.

; pci_read32: read a config-space dword.
; In: EAX = bdf << 8 | register.  Out: EAX = the dword.  Clobbers: EDX.
.global pci_read32
pci_read32:
    call pci_config_address
    jc read_mechanism1
    mov eax, [eax]
    ret
read_mechanism1:
    mov dx, PCI_CONFIG_ADDRESS
    out dx, eax
    mov dx, PCI_CONFIG_DATA
    in eax, dx
    ret

; pci_write32: write a config-space dword.
; In: EAX = bdf << 8 | register, ECX = the dword.  Clobbers: EAX, EDX.
.global pci_write32
pci_write32:
    call pci_config_address
    jc write_mechanism1
    mov [eax], ecx
    ret
write_mechanism1:
    call mechanism1_select
    out dx, eax
    ret

; pci_write16: write the low word of a config-space dword only (the command register without
; touching the status register above it).  Same access counts as pci_write32.
; In: EAX = bdf << 8 | register (dword aligned), CX = the word.  Clobbers: EAX, EDX.
.global pci_write16
pci_write16:
    call pci_config_address
    jc write16_mechanism1
    mov [eax], cx
    ret
write16_mechanism1:
    call mechanism1_select
    out dx, ax
    ret

; mechanism1_select: In: EAX = a mechanism #1 CONFIG_ADDRESS, ECX = the value to write.
; Out: CONFIG_ADDRESS written, DX = PCI_CONFIG_DATA, EAX = ECX.
mechanism1_select:
    mov dx, PCI_CONFIG_ADDRESS
    out dx, eax
    mov eax, ecx
    mov dx, PCI_CONFIG_DATA
    ret

; pci_config_address: In: EAX = bdf << 8 | register.  Out: CF clear, EAX = its MMCONFIG
; address (PCI Express Base 3.0, 7.2.2); or CF set, EAX = the mechanism #1 CONFIG_ADDRESS
; (a board without MMCONFIG, or without PCI description).  Clobbers: EDX.
pci_config_address:
    mov edx, [board_pci_host]
    test edx, edx
    jz address_mechanism1
    cmp dword ptr [edx + PCI_HOST_ECAM], 0
    je address_mechanism1
    mov edx, eax
    and eax, PCI_ADDRESS_REGISTER_MASK
    and edx, PCI_ADDRESS_BDF_MASK
    shl edx, PCI_ECAM_BDF_SHIFT - PCI_BDF_SHIFT
    add eax, edx
    mov edx, [board_pci_host]
    ; below 4 GiB: the add leaves CF clear
    add eax, [edx + PCI_HOST_ECAM]
    ret
address_mechanism1:
    or eax, PCI_CONFIG_ENABLE
    stc
    ret
