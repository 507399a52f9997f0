; q35 chipset set-up (constants in q35.inc).

; q35_init (step, stage chipset): MMCONFIG, PAM shadow RAM, ACPI PM base, PIRQ routing.
; Only PCIEXBAR goes through the 0xCF8/0xCFC ports (two accesses); everything after it is
; one MMCONFIG access per register.  Clobbers: EAX, ECX, EDX, ESI, EDI.
.global q35_init
q35_init:
    mov eax, PCI_CONFIG_ENABLE | Q35_MCH_PCIEXBAR
    mov dx, PCI_CONFIG_ADDRESS
    out dx, eax
    mov eax, Q35_MMCONFIG_BASE | Q35_PCIEXBAR_LENGTH_256M | Q35_PCIEXBAR_EN
    mov dx, PCI_CONFIG_DATA
    out dx, eax
    ; shadow the F-segment: copy the ROM alias onto the RAM under it, then read from RAM
    mov dword ptr [Q35_MMCONFIG_BASE + Q35_MCH_PAM0], Q35_PAM0_3_COPY
    mov dword ptr [Q35_MMCONFIG_BASE + Q35_MCH_PAM4], Q35_PAM4_6_RW
    mov esi, FSEG_BASE
    mov edi, FSEG_BASE
    mov ecx, (BIOS_AREA_END - FSEG_BASE) / 4
    rep movsd
    mov dword ptr [Q35_MMCONFIG_BASE + Q35_MCH_PAM0], Q35_PAM0_3_RW
    ; ACPI PM I/O at ICH9_PMBASE, enabled; SCI stays on IRQ 9 (ACPI_CTRL bits 2:0 = 0)
    mov dword ptr [ICH9_LPC_MMCFG + ICH9_LPC_PMBASE], ICH9_PMBASE
    mov byte ptr [ICH9_LPC_MMCFG + ICH9_LPC_ACPI_CTRL], ICH9_ACPI_CTRL_ACPI_EN
    mov dword ptr [ICH9_LPC_MMCFG + ICH9_LPC_PIRQA_ROUT], ICH9_PIRQ_ROUTE
    mov dword ptr [ICH9_LPC_MMCFG + ICH9_LPC_PIRQE_ROUT], ICH9_PIRQ_ROUTE
    ret

; q35_reserve (step, stage reserve): the MMCONFIG window is not RAM.
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global q35_reserve
q35_reserve:
    mov eax, Q35_MMCONFIG_BASE
    mov edx, Q35_MMCONFIG_SIZE
    mov ebx, E820_RESERVED
    jmp e820_add
