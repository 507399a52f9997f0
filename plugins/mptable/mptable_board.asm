; The MP table's PCI interrupts through the board's routing (mptable.asm; in the ROM
; when pci_routing is board or auto).

; mpt_pci_board: every root-bus device's INTA-INTD on the IOAPIC pin of the ISA IRQ the
; board routes it to (the PCI_HOST_IRQ routine of mptable_pci_host; QEMU's PIIX delivers a
; routed PIRQ to the IOAPIC input of that IRQ); those IRQs are marked in mptable_pci_isa_irqs.
; In/Out: EDI, EBP.  Clobbers: EAX, EBX, ECX, EDX, ESI.
.global mpt_pci_board
mpt_pci_board:
    mov esi, [mptable_pci_host]
    mov ebx, MP_BUS_ID_PCI
board_next:
    movzx eax, bh
    shr eax, 2
    movzx edx, bh
    and edx, PCI_PINS - 1
    mov ecx, eax
    shl ecx, 3
    call dword ptr [esi + PCI_HOST_IRQ]
    cmp eax, ISA_IRQS
    jae board_skip
    bts dword ptr [mptable_pci_isa_irqs], eax
    mov ecx, eax
    mov eax, MP_FLAGS_LEVEL_LOW
    call mpt_io_int
board_skip:
    inc bh
    cmp bh, PCI_ROOT_DEVICES * PCI_PINS
    jb board_next
    ret
