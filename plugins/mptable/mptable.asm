; The MP table (constants in mptable.inc): for guests without ACPI (Linux with acpi=off,
; QEMU with -M pc,acpi=off), which find their CPUs, the IOAPIC and the interrupt routing
; here.  The routing kind comes from mptable_pci_kind (generated per board, __init__.py).

.bss mptable_cpus, 4              ; CPUs present (FW_CFG_NB_CPUS)
.bss mptable_apic_limit, 4        ; their APIC IDs are below this; it is the IOAPIC's ID
.bss mptable_threads, 4           ; CPU topology (CPUID leaf 0Bh): logical CPUs per core,
.bss mptable_smt_shift, 4         ; the APIC ID shift from thread to core,
.bss mptable_per_package, 4       ; logical CPUs per package,
.bss mptable_package_shift, 4     ; the APIC ID shift from thread to package
.bss mptable_signature, 4         ; CPUID leaf 1 EAX and EDX, for the processor entries
.bss mptable_features, 4
.bss mptable_table, 4             ; the configuration table
.bss mptable_routing, 4           ; MPT_PCI_*
.bss mptable_pci_host, 4          ; the board's PCI host description (MPT_PCI_BOARD)
.bss mptable_pci_isa_irqs, 4      ; ISA IRQs that PCI interrupts use (bit n = IRQ n)

; mptable_build (step, stage tables): the configuration table in the high zone, the
; floating pointer in the F-segment.  Two fw_cfg transfers (NB_CPUS, MAX_CPUS) and up to four
; CPUIDs; no other device access.  Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global mptable_build
mptable_build:
    push ebp
    mov eax, FW_CFG_NB_CPUS
    call fw_cfg_read_item
    movzx eax, ax
    test eax, eax
    jnz mpt_have_cpus
    inc eax
mpt_have_cpus:
    cmp eax, MP_APIC_ID_LIMIT
    jbe mpt_cpus_fit
    mov eax, MP_APIC_ID_LIMIT
mpt_cpus_fit:
    mov [mptable_cpus], eax
    mov eax, FW_CFG_MAX_CPUS
    call fw_cfg_read_item
    movzx eax, ax
    cmp eax, [mptable_cpus]
    jae mpt_limit_fits_cpus
    mov eax, [mptable_cpus]
mpt_limit_fits_cpus:
    cmp eax, MP_APIC_ID_LIMIT
    jbe mpt_limit_ok
    mov eax, MP_APIC_ID_LIMIT
mpt_limit_ok:
    mov [mptable_apic_limit], eax
    call mpt_topology
    call mptable_pci_kind
    mov [mptable_routing], eax
    mov [mptable_pci_host], esi
    ; room for the header, a processor entry per possible APIC ID, and the rest
    imul ecx, [mptable_apic_limit], MP_PROCESSOR_SIZE
    add ecx, MPC_HEADER_SIZE + MPC_OTHER_ENTRIES_MAX
    mov edx, MPC_ALIGN
    call alloc_high
    mov [mptable_table], edi
    mov esi, mpt_header
    mov ecx, MPC_HEADER_SIZE
    rep movsb
    ; the entries, by type; EDI = the next entry, EBP = how many so far
    xor ebp, ebp
    call mpt_processors
    cmp dword ptr [mptable_routing], MPT_PCI_NONE
    je mpt_no_pci_bus
    mov esi, mpt_bus_pci
    call mpt_copy_entry
mpt_no_pci_bus:
    mov esi, mpt_bus_isa
    call mpt_copy_entry
    mov eax, [mptable_apic_limit]
    shl eax, 8
    or eax, MP_ENTRY_IOAPIC | (MP_IOAPIC_VERSION << 16) | (MP_IOAPIC_ENABLED << 24)
    mov [edi], eax
    mov dword ptr [edi + 4], IOAPIC_BASE
    add edi, MP_ENTRY_SIZE
    inc ebp
    ; PCI before ISA: the ISA IRQs that PCI interrupts take get no ISA entry
    call mpt_pci_interrupts
    call mpt_isa_interrupts
    mov esi, mpt_local_extint
    call mpt_copy_entry
    mov esi, mpt_local_nmi
    call mpt_copy_entry
    ; the header's length, count and checksum
    mov ebx, [mptable_table]
    mov ecx, edi
    sub ecx, ebx
    mov [ebx + MPC_LENGTH], cx
    mov [ebx + MPC_ENTRY_COUNT], bp
    mov esi, ebx
    lea edi, [ebx + MPC_CHECKSUM]
    call checksum_fix
    ; the floating pointer
    mov ecx, MPF_SIZE
    mov edx, MPF_ALIGN
    call alloc_fseg
    mov eax, MPF_SIGNATURE_REVERSED
    bswap eax
    mov [edi], eax
    mov eax, [mptable_table]
    mov [edi + MPF_PHYSPTR], eax
    mov dword ptr [edi + MPF_LENGTH], MPF_LENGTH_PARAGRAPHS | (MP_SPEC_REV_1_4 << 8)
    mov dword ptr [edi + MPF_SIZE - 4], 0
    mov esi, edi
    mov ecx, MPF_SIZE
    lea edi, [esi + MPF_CHECKSUM]
    call checksum_fix
    pop ebp
    ret

; mpt_topology: mptable_threads, mptable_smt_shift, mptable_per_package and
; mptable_package_shift from CPUID leaf 0Bh (1, 0, 1, 0 -- APIC ID = CPU index -- without
; it; the shifts' 0 is the zeroed bss's), and the processor signature and features from
; leaf 1.  Clobbers: EAX, EBX, ECX, EDX.
mpt_topology:
    inc dword ptr [mptable_threads]         ; 0 (bss) -> 1
    inc dword ptr [mptable_per_package]
    mov eax, CPUID_SIGNATURE
    cpuid
    mov [mptable_signature], eax
    mov [mptable_features], edx
    xor eax, eax                    ; CPUID_BASIC
    cpuid
    cmp eax, CPUID_TOPOLOGY
    jb topo_done
    mov eax, CPUID_TOPOLOGY
    xor ecx, ecx                    ; CPUID_TOPOLOGY_SMT
    cpuid
    movzx ebx, bx
    test ebx, ebx
    jz topo_done
    and eax, CPUID_TOPOLOGY_SHIFT_MASK
    push eax
    push ebx
    mov eax, CPUID_TOPOLOGY
    mov ecx, CPUID_TOPOLOGY_CORE
    cpuid
    movzx ebx, bx
    and eax, CPUID_TOPOLOGY_SHIFT_MASK
    shr ecx, CPUID_TOPOLOGY_TYPE_SHIFT
    ; usable: a core level with at least as many logical CPUs as a core has
    cmp cl, CPUID_TOPOLOGY_TYPE_CORE
    pop ecx
    pop edx
    jne topo_done
    cmp ebx, ecx
    jb topo_done
    mov [mptable_threads], ecx
    mov [mptable_smt_shift], edx
    mov [mptable_per_package], ebx
    mov [mptable_package_shift], eax
topo_done:
    ret

; mpt_apic_id: the APIC ID QEMU gives CPU EAX (package, core and thread numbers at the
; shifts of mpt_topology).  In: EAX = CPU index.  Out: EAX = APIC ID.  Clobbers: ECX, EDX.
mpt_apic_id:
    xor edx, edx
    div dword ptr [mptable_per_package]
    mov ecx, [mptable_package_shift]
    shl eax, cl
    push eax
    mov eax, edx
    xor edx, edx
    div dword ptr [mptable_threads]
    mov ecx, [mptable_smt_shift]
    shl eax, cl
    or eax, edx
    pop edx
    or eax, edx
    ret

; mpt_processors: a processor entry for each CPU whose APIC ID is below mptable_apic_limit:
; enabled for the first mptable_cpus, the first the bootstrap processor; the others are CPUs
; that may be hot-plugged.  In/Out: EDI = next entry, EBP = entry count.
; Clobbers: EAX, ECX, EDX, ESI.
mpt_processors:
    xor esi, esi
proc_next:
    cmp esi, [mptable_apic_limit]
    jae proc_done
    mov eax, esi
    call mpt_apic_id
    cmp eax, [mptable_apic_limit]
    jae proc_done
    shl eax, 8
    or eax, MP_ENTRY_PROCESSOR | (MP_LAPIC_VERSION << 16)
    cmp esi, [mptable_cpus]
    jae proc_flags_done
    or eax, MP_CPU_ENABLED << 24
    test esi, esi
    jnz proc_flags_done
    or eax, MP_CPU_BOOT << 24
proc_flags_done:
    mov [edi], eax
    mov eax, [mptable_signature]
    mov [edi + 4], eax
    mov eax, [mptable_features]
    mov [edi + 8], eax
    xor eax, eax
    mov [edi + 12], eax
    mov [edi + 16], eax
    add edi, MP_PROCESSOR_SIZE
    inc ebp
    inc esi
    jmp proc_next
proc_done:
    ret

; mpt_copy_entry: append the 8-byte entry at ESI.  In/Out: EDI, EBP.  Clobbers: ECX, ESI.
mpt_copy_entry:
    mov ecx, MP_ENTRY_SIZE
    rep movsb
    inc ebp
    ret

; mpt_io_int (for mptable_q35.asm and mptable_board.asm too): append an I/O interrupt assignment entry (type INT) to the IOAPIC.
; In: EAX = flags (MP_FLAGS_*), BL = source bus ID, BH = source bus IRQ, CL = IOAPIC pin.
; In/Out: EDI, EBP.  Clobbers: EAX, EDX.
.global mpt_io_int
mpt_io_int:
    shl eax, 16
    or eax, MP_ENTRY_IO_INT | (MP_INT_INT << 8)
    mov [edi], eax
    movzx edx, cl
    shl edx, 8
    mov dl, byte ptr [mptable_apic_limit]
    shl edx, 16
    mov dx, bx
    mov [edi + 4], edx
    add edi, MP_ENTRY_SIZE
    inc ebp
    ret

; mpt_isa_interrupts: ISA IRQs 0-15 on the IOAPIC pin of the same number, IRQ 0 on pin 2,
; without the cascade (IRQ 2) and the IRQs PCI interrupts use.  In/Out: EDI, EBP.
; Clobbers: EAX, EBX, ECX, EDX.
mpt_isa_interrupts:
    mov ebx, MP_BUS_ID_ISA
isa_next:
    movzx ecx, bh
    cmp ecx, ISA_IRQS
    jae isa_done
    cmp ecx, ISA_IRQ_CASCADE
    je isa_skip
    bt dword ptr [mptable_pci_isa_irqs], ecx
    jc isa_skip
    test ecx, ecx
    jnz isa_pin
    mov ecx, IOAPIC_PIN_IRQ0
isa_pin:
    mov eax, MP_FLAGS_CONFORMS
    call mpt_io_int
isa_skip:
    inc bh
    jmp isa_next
isa_done:
    ret

mpt_header:
    .long MPC_SIGNATURE
    .word 0                     ; base table length
    .byte MP_SPEC_REV_1_4
    .byte 0                     ; checksum
    .ascii "QBOOT-FW"           ; OEM ID
    .ascii "QEMU        "       ; product ID
    .long 0                     ; OEM table pointer
    .word 0                     ; OEM table size
    .word 0                     ; entry count
    .long LAPIC_BASE
    .word 0                     ; extended table length
    .byte 0                     ; extended table checksum
    .byte 0                     ; reserved
mpt_bus_pci:
    .byte MP_ENTRY_BUS, MP_BUS_ID_PCI
    .ascii "PCI   "
mpt_bus_isa:
    .byte MP_ENTRY_BUS, MP_BUS_ID_ISA
    .ascii "ISA   "
; the 8259's INTR on the bootstrap processor's LINT0, NMI on every processor's LINT1
mpt_local_extint:
    .byte MP_ENTRY_LOCAL_INT, MP_INT_EXTINT
    .word MP_FLAGS_CONFORMS
    .byte MP_BUS_ID_ISA, 0, MP_BSP_APIC_ID, MP_LINT0
mpt_local_nmi:
    .byte MP_ENTRY_LOCAL_INT, MP_INT_NMI
    .word MP_FLAGS_CONFORMS
    .byte MP_BUS_ID_ISA, 0, MP_ALL_LAPICS, MP_LINT1
