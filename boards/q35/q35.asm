; q35 chipset set-up (constants in q35.inc and boards/common).

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
    ; shadow the F-segment: make it RAM, then fill the part under the ROM's 16-bit regions
    ; from the ROM's high alias.  (Copying the F-segment onto itself in PAM's "write to RAM"
    ; mode does not work under QEMU, which then reads RAM too: hw/pci-host/pam.c.)  The rest
    ; of the F-segment RAM is table space (alloc.asm).
    mov byte ptr [Q35_MMCONFIG_BASE + Q35_MCH_PAM0], PAM_FSEG_READ_WRITE_RAM
    mov esi, REGION_FSEG_START - ROM_FSEG_ALIAS + ROM_HIGH_ALIAS
    mov edi, REGION_FSEG_START
    mov ecx, (BIOS_AREA_END - REGION_FSEG_START) / 4
    rep movsd
    ; ACPI PM I/O at ICH9_PMBASE, enabled; SCI stays on IRQ 9 (ACPI_CTRL bits 2:0 = 0)
    mov dword ptr [ICH9_LPC_MMCFG + ICH9_LPC_PMBASE], ICH9_PMBASE
    mov byte ptr [ICH9_LPC_MMCFG + ICH9_LPC_ACPI_CTRL], ICH9_ACPI_CTRL_ACPI_EN
    mov dword ptr [ICH9_LPC_MMCFG + ICH9_LPC_PIRQA_ROUT], ICH9_PIRQ_ROUTE
    mov dword ptr [ICH9_LPC_MMCFG + ICH9_LPC_PIRQE_ROUT], ICH9_PIRQ_ROUTE
    ; the PIRQs' IRQs are level-triggered (intel.inc)
    mov dx, ELCR2_PORT
    mov al, ELCR2_PCI_LEVEL
    out dx, al
    mov dword ptr [board_pci_host], q35_pci_host
    ret

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
    and eax, PIRQ_LINKS - 1
    ; the IRQ is byte EAX of the route registers' value
    push ecx
    lea ecx, [eax * 8]
    mov eax, ICH9_PIRQ_ROUTE
    shr eax, cl
    and eax, 0xFF
    pop ecx
    ret

; The PCI host description (pci.inc, PCI_HOST_*): MMCONFIG, and q35_pci_irq.
.global q35_pci_host
q35_pci_host:
    .long Q35_MMCONFIG_BASE
    .long q35_pci_irq
