; The PCI walk (PCI constants in boards/common/pci.inc, this feature's own in pci.inc): every
; bus reachable from bus 0, bridges numbered depth-first, INTERRUPT_LINE from the board's
; PIRQ routing through the bridge swizzle, SERR# forwarding on bridges.  BARs and bridge
; windows are left to the guest (Linux assigns them, with or without ACPI).  Config space
; goes through pci_read32/pci_write32 (pci_config.asm): the board's MMCONFIG when it has
; one (one access per read or write), else mechanism #1 (two).  Per function: three reads,
; and one write when its interrupt line or bridge control changes; a bridge adds two
; writes; an empty slot costs one read.

.bss pci_irq_fn, 4      ; the board's PCI_HOST_IRQ routine
.bss pci_last_bus, 4    ; highest bus number given out so far
.bss pci_depth, 4       ; bridges between the bus being scanned and bus 0
; Every function the walk found, in walk order (depth first: a bridge comes before what is
; behind it): PCI_FUNC_ENTRY_SIZE bytes each (pci.inc), pci_function_count of them.  Other
; features read it after stage fw_cfg (pci_assign; controllers look for their devices).
.global pci_functions, pci_function_count
.bss pci_functions, PCI_MAX_FUNCTIONS * PCI_FUNC_ENTRY_SIZE, 4
.bss pci_function_count, 4

; pci_walk (step, stage fw_cfg: after fw_cfg_init, and before the ACPI tables, which QEMU
; builds when they are first read and which then see the bus numbers).  Does nothing on a
; machine without PCI (board_pci_host = 0), nor when built with skip_with_acpi
; (PCI_SKIP_WITH_ACPI = 1) and QEMU serves ACPI tables.
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global pci_walk
pci_walk:
    mov esi, [board_pci_host]
    test esi, esi
    jz pci_walk_done
    mov eax, PCI_SKIP_WITH_ACPI
    test eax, eax
    jz pci_walk_go
    push esi
    mov esi, pci_name_table_loader
    call fw_cfg_find
    pop esi
    test eax, eax
    jnz pci_walk_done
pci_walk_go:
    mov eax, [esi + PCI_HOST_IRQ]
    mov [pci_irq_fn], eax
    xor eax, eax
    mov [pci_last_bus], eax
    mov [pci_depth], eax
    mov [pci_function_count], eax
    push ebp
    xor ebx, ebx
    xor esi, esi
    xor edi, edi
    call pci_scan_bus
    pop ebp
pci_walk_done:
    ret

; pci_scan_bus: set up every function of a bus, and depth-first the buses behind bridges.
; In: EBX = bus; ESI = the root-bus device the bus hangs off (unused for bus 0); EDI = the
; bus's pin addend: the sum of the device numbers of the bridges between it and that root-
; bus device (the swizzle of PCI-to-PCI Bridge 1.2, 9.1 "Interrupt Routing").
; Out: pci_last_bus = the highest bus number given out behind it.
; Clobbers: EAX, ECX, EDX.  Preserves: EBX, ESI, EDI, EBP.
pci_scan_bus:
    push ebp
    mov ebp, ebx
    shl ebp, PCI_BDF_SHIFT
scan_device:
    call pci_setup_function
    jc scan_skip_device
    test al, PCI_HEADER_MULTIFUNCTION
    jz scan_skip_device
scan_function:
    inc ebp
    test ebp, PCI_FUNCTIONS_PER_DEVICE - 1
    jz scan_device_end
    call pci_setup_function
    jmp scan_function
scan_skip_device:
    or ebp, PCI_FUNCTIONS_PER_DEVICE - 1
    inc ebp
scan_device_end:
    test ebp, PCI_DEVFN_MASK
    jnz scan_device
    pop ebp
    ret

; pci_setup_function: one function: its INTERRUPT_LINE; for a bridge, SERR# forwarding,
; bus numbers and the buses behind it.
; In: EBP = bdf; EBX, ESI, EDI as for pci_scan_bus.
; Out: CF set when no function answers there; else CF clear, AL = its header type byte.
; Clobbers: EAX, ECX, EDX.
pci_setup_function:
    mov eax, ebp
    shl eax, PCI_BDF_SHIFT
    call pci_read32
    cmp ax, PCI_VENDOR_NONE
    je function_absent
    test ax, ax
    jz function_absent
    mov eax, ebp
    shl eax, PCI_BDF_SHIFT
    or eax, PCI_HEADER_DWORD
    call pci_read32
    shr eax, PCI_HEADER_TYPE_SHIFT
    movzx eax, al
    call pci_record_function
    push eax
    mov eax, ebp
    shl eax, PCI_BDF_SHIFT
    or eax, PCI_INTERRUPT_DWORD
    call pci_read32
    push eax
    ; [esp] = the interrupt dword as read, [esp + 4] = the header type byte
    mov ecx, eax
    movzx edx, ch
    dec edx
    cmp edx, PCI_INTERRUPT_PINS
    jae function_no_pin
    call pci_function_irq
    mov cl, al
function_no_pin:
    mov eax, [esp + 4]
    and eax, PCI_HEADER_TYPE_MASK
    cmp eax, PCI_HEADER_TYPE_BRIDGE
    jne function_write
    or ecx, PCI_BRIDGE_CTL_SERR << PCI_BRIDGE_CONTROL_SHIFT
function_write:
    pop eax
    cmp eax, ecx
    je function_written
    mov eax, ebp
    shl eax, PCI_BDF_SHIFT
    or eax, PCI_INTERRUPT_DWORD
    call pci_write32
function_written:
    mov eax, [esp]
    and eax, PCI_HEADER_TYPE_MASK
    cmp eax, PCI_HEADER_TYPE_BRIDGE
    jne function_done
    call pci_setup_bridge
function_done:
    pop eax
    clc
    ret
function_absent:
    stc
    ret

; pci_record_function: add the function at EBP, header type AL, to pci_functions (those
; beyond PCI_MAX_FUNCTIONS are configured but not recorded).  Clobbers: ECX, EDX.
pci_record_function:
    mov ecx, [pci_function_count]
    cmp ecx, PCI_MAX_FUNCTIONS
    jae record_full
    lea edx, [pci_functions + ecx * PCI_FUNC_ENTRY_SIZE]
    mov [edx + PCI_FUNC_BDF], bp
    mov [edx + PCI_FUNC_HEADER], al
    inc ecx
    mov [pci_function_count], ecx
record_full:
    ret

; pci_function_irq: the ISA IRQ of a function's interrupt pin, from the board's routing of
; the root-bus device it sits behind and the pin it arrives on there.
; In: EDX = pin (0 = INTA); EBP = bdf; EBX, ESI, EDI as for pci_scan_bus.
; Out: EAX = IRQ.  Clobbers: EDX.
pci_function_irq:
    push ecx
    mov eax, ebp
    shr eax, PCI_DEVICE_SHIFT
    and eax, PCI_DEVICE_MASK
    test ebx, ebx
    jz irq_on_root_bus
    add edx, eax
    add edx, edi
    and edx, PCI_INTERRUPT_PINS - 1
    mov eax, esi
irq_on_root_bus:
    mov ecx, ebp
    call dword ptr [pci_irq_fn]
    pop ecx
    ret

; pci_setup_bridge: number a bridge's secondary bus, scan what is behind it, then close its
; range at the last bus number given out there.  Bridges beyond PCI_MAX_DEPTH, or once all
; bus numbers are taken, stay unconfigured (secondary bus 0: nothing behind is reachable).
; In: EBP = the bridge's bdf; EBX, ESI, EDI as for pci_scan_bus.  Clobbers: EAX, ECX, EDX.
pci_setup_bridge:
    mov eax, [pci_last_bus]
    cmp eax, PCI_MAX_BUS
    jae bridge_skip
    cmp dword ptr [pci_depth], PCI_MAX_DEPTH
    jae bridge_skip
    inc eax
    mov [pci_last_bus], eax
    inc dword ptr [pci_depth]
    push ebx
    push esi
    push edi
    ; primary = this bus, secondary = the new one, subordinate = 255 while the buses
    ; behind are scanned, so that configuration cycles reach all of them
    mov ecx, eax
    shl ecx, PCI_BUS_NUMBER_SHIFT
    or ecx, ebx
    or ecx, PCI_MAX_BUS << PCI_SUBORDINATE_SHIFT
    push ecx
    mov eax, ebp
    shl eax, PCI_BDF_SHIFT
    or eax, PCI_BUS_NUMBERS
    call pci_write32
    ; the root-bus device and the pin addend of the new bus
    mov eax, ebp
    shr eax, PCI_DEVICE_SHIFT
    and eax, PCI_DEVICE_MASK
    test ebx, ebx
    jnz bridge_nested
    mov esi, eax
    xor edi, edi
    jmp bridge_scan
bridge_nested:
    add edi, eax
bridge_scan:
    movzx ebx, byte ptr [esp + 1]
    call pci_scan_bus
    pop ecx
    and ecx, PCI_PRIMARY_SECONDARY_MASK
    mov eax, [pci_last_bus]
    shl eax, PCI_SUBORDINATE_SHIFT
    or ecx, eax
    mov eax, ebp
    shl eax, PCI_BDF_SHIFT
    or eax, PCI_BUS_NUMBERS
    call pci_write32
    pop edi
    pop esi
    pop ebx
    dec dword ptr [pci_depth]
bridge_skip:
    ret

pci_name_table_loader:
    .asciz "etc/table-loader"
