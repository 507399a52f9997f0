; The MP table's PCI interrupts on q35 (mptable.asm; in the ROM when pci_routing is q35
; or auto).

; mpt_pci_q35: every root-bus device's INTA-INTD on the IOAPIC pin of its ICH9 PIRQ (pins
; 16-23).  In/Out: EDI, EBP.  Clobbers: EAX, EBX, ECX, EDX.
.global mpt_pci_q35
mpt_pci_q35:
    mov ebx, MP_BUS_ID_PCI
q35_next:
    movzx eax, bh
    shr eax, 2
    movzx ecx, bh
    and ecx, PCI_PINS - 1
    cmp eax, ICH9_FIRST_UNROTATED_DEVICE
    jb q35_rotated
    cmp eax, ICH9_DMI_BRIDGE_DEVICE
    jne q35_pirq
    add ecx, ICH9_PIRQ_E
    jmp q35_pirq
q35_rotated:
    add ecx, eax
    and ecx, PCI_PINS - 1
    add ecx, ICH9_PIRQ_E
q35_pirq:
    add ecx, ICH9_PIRQ_GSI_BASE
    mov eax, MP_FLAGS_LEVEL_LOW
    call mpt_io_int
    inc bh
    cmp bh, PCI_ROOT_DEVICES * PCI_PINS
    jb q35_next
    ret
