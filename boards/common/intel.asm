; What the boards of QEMU's Intel chipsets (pc: i440fx/PIIX, q35: Q35/ICH9) share
; (constants in boards/common/intel.inc and the core's layout constants).

; board_fseg_fill: fill the F-segment's RAM, just made readable and writable by the board's
; PAM write, from the ROM's high alias: the part of region fseg the build uses (up to
; __fseg_end) and the reset region, the ROM's 16-bit code and data that must stay reachable
; below 1 MiB.  (Copying the F-segment onto itself in PAM's "write to RAM" mode does not
; work under QEMU, which then reads RAM too: hw/pci-host/pam.c.)  The rest of the
; F-segment's RAM is table space (alloc.asm).  Only what is used is copied: under TCG every
; iteration of a REP instruction costs as much as a block of code.
; Clobbers: ECX, ESI, EDI.
.global board_fseg_fill
board_fseg_fill:
    mov esi, REGION_FSEG_START - ROM_FSEG_ALIAS + ROM_HIGH_ALIAS
    mov edi, REGION_FSEG_START
    mov ecx, (__fseg_end - REGION_FSEG_START) / 4
    rep movsd
    mov esi, REGION_RESET_START - ROM_FSEG_ALIAS + ROM_HIGH_ALIAS
    mov edi, REGION_RESET_START
    mov ecx, (BIOS_AREA_END - REGION_RESET_START) / 4
    rep movsd
    ret

; board_pci_ready: the last of an Intel board's chipset steps: the IRQs of the PIRQs are
; level-triggered (ELCR2; intel.inc), and the board's PCI host description is published for
; the pci feature (board_pci_host, boards/common).  One device access.
; In: AL = the ELCR2 level bits, ESI = the PCI host description.  Clobbers: EDX.
.global board_pci_ready
board_pci_ready:
    mov dx, ELCR2_PORT
    out dx, al
    mov [board_pci_host], esi
    ret

; board_pirq_irq: the ISA IRQ a PIRQ link is routed to, from the value the board wrote to
; the chipset's route registers (one IRQ per byte, PIRQA in the lowest: PIIX3 PIRQRC[A:D],
; ICH9 PIRQ[A-D]_ROUT; intel.inc).  The tail of each board's PCI_HOST_IRQ routine.
; In: EAX = link (taken modulo PIRQ_LINKS), EDX = the route registers' dword.
; Out: EAX = IRQ.  Clobbers: EDX.
.global board_pirq_irq
board_pirq_irq:
    and eax, PIRQ_LINKS - 1
    xchg eax, edx
    shl edx, 3
    xchg ecx, edx
    shr eax, cl
    mov ecx, edx
    and eax, 0xFF
    ret
