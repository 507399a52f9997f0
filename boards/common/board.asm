; What every board of boards/ does the same way (constants in boards/common/*.inc).

; board_virtual_wire (step, stage chipset): the boot processor's local APIC in virtual wire
; mode, as the MP specification wants a BIOS to leave it, with the 8259s masked.  A kernel
; that finds neither ACPI nor an MP table (Linux with acpi=off) keeps the 8259 and leaves
; the local APIC alone; at reset LINT0 is masked (SDM 10.12.5.1), so without this no 8259
; interrupt, not even the timer, would reach the processor.  Kernels with ACPI or an MP
; table program the local APIC themselves; one that never initializes the 8259 (Linux on
; microvm's hardware-reduced ACPI) must not get its interrupts, with the vector base QEMU's
; reset leaves (0), through LINT0 meanwhile: hence the masks.  Five device accesses.
; Clobbers: EAX.
.global board_virtual_wire
board_virtual_wire:
    mov al, PIC_MASK_ALL
    out PIC1_DATA, al
    out PIC2_DATA, al
    mov dword ptr [LAPIC_BASE + LAPIC_SVR], LAPIC_SVR_ENABLE | LAPIC_SPURIOUS_VECTOR
    mov dword ptr [LAPIC_BASE + LAPIC_LVT_LINT0], LAPIC_LVT_EXTINT_LEVEL
    mov dword ptr [LAPIC_BASE + LAPIC_LVT_LINT1], LAPIC_LVT_NMI
    ret
