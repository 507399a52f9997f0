; bios16_last_bus (step, stage late, after bios16_install and before the boards lock the
; F-segment; only in ROMs with the pci walk): the PCI BIOS installation check (INT 1Ah
; B101h, and the BIOS32 "$PCI" service) answers CL = the last PCI bus, which guests such as
; iPXE take as the last bus to scan (PCI BIOS Specification 2.1, 3.1.1 "PCI BIOS Present";
; SeaBIOS answers the highest bus its walk numbered).  Writes the walk's pci_last_bus into
; the immediate of pcibios_present's "mov ecx" in the F-segment copy.
; In: nothing.  Out: nothing.  Clobbers: EAX.
.global bios16_last_bus
bios16_last_bus:
    mov eax, [pci_last_bus]
    mov [pcibios_last_bus], eax
    ret
