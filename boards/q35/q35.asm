; q35 chipset set-up (constants in q35.inc and boards/common; BOARD_PIRQ_ROUTE and
; BOARD_ELCR2_LEVEL: the board description's data, IntelBoard).

; q35_init (step, stage chipset): MMCONFIG, PAM shadow RAM, ACPI PM base, PIRQ routing,
; ELCR, and the PCI host description for the pci feature (board_pci_host).
; Only PCIEXBAR goes through the 0xCF8/0xCFC ports (two accesses); everything after it is
; one MMCONFIG access per register, and one port write for the ELCR.
; Clobbers: EAX, ECX, EDX, ESI, EDI.
.global q35_init
q35_init:
    mov eax, PCI_CONFIG_ENABLE | Q35_MCH_PCIEXBAR
    mov dx, PCI_CONFIG_ADDRESS
    out dx, eax
    mov eax, Q35_MMCONFIG_BASE | Q35_PCIEXBAR_LENGTH_256M | Q35_PCIEXBAR_EN
    mov dx, PCI_CONFIG_DATA
    out dx, eax
    ; shadow the F-segment: make it RAM, then fill it (board_fseg_fill)
    mov byte ptr [Q35_MMCONFIG_BASE + Q35_MCH_PAM0], PAM_FSEG_READ_WRITE_RAM
    call board_fseg_fill
    ; ACPI PM I/O at ICH9_PMBASE, enabled; SCI stays on IRQ 9 (ACPI_CTRL bits 2:0 = 0)
    mov dword ptr [ICH9_LPC_MMCFG + ICH9_LPC_PMBASE], ICH9_PMBASE
    mov byte ptr [ICH9_LPC_MMCFG + ICH9_LPC_ACPI_CTRL], ICH9_ACPI_CTRL_ACPI_EN
    mov dword ptr [ICH9_LPC_MMCFG + ICH9_LPC_PIRQA_ROUT], BOARD_PIRQ_ROUTE
    mov dword ptr [ICH9_LPC_MMCFG + ICH9_LPC_PIRQE_ROUT], BOARD_PIRQ_ROUTE
    mov al, BOARD_ELCR2_LEVEL
    mov esi, q35_pci_host
    jmp board_pci_ready

; q35_reserve (step, stage reserve): the MMCONFIG window is not RAM.
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global q35_reserve
q35_reserve:
    mov eax, Q35_MMCONFIG_BASE
    mov edx, Q35_MMCONFIG_SIZE
    mov ebx, E820_RESERVED
    jmp e820_add

; q35_fseg_readonly (step, stage late: the tables, stage tables, are the F-segment's last
; writers; loaders write nothing there): reads of the F-segment keep coming from its RAM,
; writes no longer reach it.  One MMCONFIG access.
; Clobbers: nothing.
.global q35_fseg_readonly
q35_fseg_readonly:
    mov byte ptr [Q35_MMCONFIG_BASE + Q35_MCH_PAM0], PAM_FSEG_READ_RAM
    ret

; q35_pci_irq (the PCI_HOST_IRQ routine of q35_pci_host, pci.inc): the ISA IRQ of a pin.
; PIRQ E..H are routed like A..D, so only the link index (mod 4) matters.
; In: EAX = root-bus device, EDX = pin (0 = INTA), ECX = bdf.  Out: EAX = IRQ.
; Clobbers: EDX.
.global q35_pci_irq
q35_pci_irq:
    cmp eax, ICH9_FIRST_UNROTATED_DEVICE
    jb q35_irq_link
    xor eax, eax
q35_irq_link:
    add eax, edx
    mov edx, BOARD_PIRQ_ROUTE
    jmp board_pirq_irq

; The PCI host description (pci.inc, PCI_HOST_*): MMCONFIG, and q35_pci_irq.
.global q35_pci_host
q35_pci_host:
    .long Q35_MMCONFIG_BASE
    .long q35_pci_irq
