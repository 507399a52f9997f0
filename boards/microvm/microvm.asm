; microvm set-up (constants in microvm.inc): no chipset registers to program; the firmware
; only decides where its table zones live.

; microvm_init (step, stage chipset): the fseg zone in the ROM image's pool (through the
; F-segment alias), the high zone below 1 MiB (alloc.asm, alloc_place_*).  No device
; accesses; board_pci_host stays 0 (no PCI).  Clobbers: EAX, EDX.
.global microvm_init
microvm_init:
    mov eax, microvm_fseg_pool - MICROVM_HIGH_TO_FSEG
    lea edx, [eax + MICROVM_FSEG_POOL_SIZE]
    call alloc_place_fseg
    mov eax, MICROVM_TABLES_START
    mov edx, MICROVM_TABLES_END
    jmp alloc_place_high
