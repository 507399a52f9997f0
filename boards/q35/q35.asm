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
    ; shadow the F-segment: writes go to RAM while reads still come from the ROM alias,
    ; so copying the ROM's 16-bit regions onto themselves fills the RAM under them; then
    ; reads come from RAM too.  The rest of the F-segment RAM is table space (alloc.asm).
    mov byte ptr [Q35_MMCONFIG_BASE + Q35_MCH_PAM0], Q35_PAM_WRITE_RAM
    mov esi, REGION_FSEG_START
    mov edi, REGION_FSEG_START
    mov ecx, (BIOS_AREA_END - REGION_FSEG_START) / 4
    rep movsd
    mov byte ptr [Q35_MMCONFIG_BASE + Q35_MCH_PAM0], Q35_PAM_READ_WRITE_RAM
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
