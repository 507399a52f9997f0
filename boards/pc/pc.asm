; pc (i440fx + PIIX3 + PIIX4 PM) chipset set-up (constants in pc.inc and boards/common;
; BOARD_PIRQ_ROUTE and BOARD_ELCR2_LEVEL: the board description's data, IntelBoard).

; pc_init (step, stage chipset): PAM shadow RAM, PIRQ routing, PIIX4 ACPI PM and SMBus
; I/O, ELCR, and the PCI host description for the pci feature (board_pci_host).
; 13 device accesses: a CONFIG_ADDRESS write per register dword, one CONFIG_DATA write per
; register, one ELCR write.  Clobbers: EAX, ECX, EDX, ESI, EDI.
.global pc_init
pc_init:
    ; shadow the F-segment: make it RAM, then fill it (board_fseg_fill)
    mov eax, I440FX_PAM0_ADDRESS
    mov dx, PCI_CONFIG_ADDRESS
    out dx, eax
    mov al, PAM_FSEG_READ_WRITE_RAM
    mov dx, I440FX_PAM0_DATA
    out dx, al
    call board_fseg_fill
    ; PIRQ A..D, one dword for the four route registers
    mov eax, PIIX_PIRQRC_ADDRESS
    mov dx, PCI_CONFIG_ADDRESS
    out dx, eax
    mov eax, BOARD_PIRQ_ROUTE
    mov dx, PCI_CONFIG_DATA
    out dx, eax
    ; ACPI PM I/O at PIIX4_PM_BASE, then enabled (absent with -M pc,acpi=off: the writes
    ; then reach no device)
    mov esi, PIIX4_PMBA_ADDRESS
    mov eax, PIIX4_PM_BASE | PCI_BAR_SPACE_IO
    call pc_config_write32
    mov esi, PIIX4_PMREGMISC_ADDRESS
    mov eax, PIIX4_PMIOSE
    call pc_config_write32
    ; SMBus I/O at PIIX4_SMB_BASE, host interface enabled
    mov esi, PIIX4_SMBBA_ADDRESS
    mov eax, PIIX4_SMB_BASE | PCI_BAR_SPACE_IO
    call pc_config_write32
    mov eax, PIIX4_SMBHSTCFG_ADDRESS
    mov dx, PCI_CONFIG_ADDRESS
    out dx, eax
    mov al, PIIX4_SMBHSTCFG_EN_IRQ9
    mov dx, PIIX4_SMBHSTCFG_DATA
    out dx, al
    mov al, BOARD_ELCR2_LEVEL
    mov esi, pc_pci_host
    jmp board_pci_ready

; pc_config_write32: In: ESI = CONFIG_ADDRESS (enable bit set), EAX = dword.
; Clobbers: EDX.
pc_config_write32:
    xchg eax, esi
    mov dx, PCI_CONFIG_ADDRESS
    out dx, eax
    xchg eax, esi
    mov dx, PCI_CONFIG_DATA
    out dx, eax
    ret

; pc_fseg_readonly (step, stage late: the tables, stage tables, are the F-segment's last
; writers; loaders write nothing there): reads of the F-segment keep coming from its RAM,
; writes no longer reach it.  Two device accesses.  Clobbers: EAX, EDX.
.global pc_fseg_readonly
pc_fseg_readonly:
    mov eax, I440FX_PAM0_ADDRESS
    mov dx, PCI_CONFIG_ADDRESS
    out dx, eax
    mov al, PAM_FSEG_READ_RAM
    mov dx, I440FX_PAM0_DATA
    out dx, al
    ret

; pc_pci_irq (the PCI_HOST_IRQ routine of pc_pci_host, pci.inc): the ISA IRQ of a pin.
; In: EAX = root-bus device, EDX = pin (0 = INTA), ECX = bdf.  Out: EAX = IRQ.
; Clobbers: EDX.
.global pc_pci_irq
pc_pci_irq:
    cmp ecx, PIIX4_PM_BDF
    je pc_irq_sci
    add eax, edx
    add eax, PIIX_SLOT_ADDEND
    mov edx, BOARD_PIRQ_ROUTE
    jmp board_pirq_irq
pc_irq_sci:
    mov eax, PIIX4_SCI_IRQ
    ret

; The PCI host description (pci.inc, PCI_HOST_*): mechanism #1 only, and pc_pci_irq.
.global pc_pci_host
pc_pci_host:
    .long 0
    .long pc_pci_irq
