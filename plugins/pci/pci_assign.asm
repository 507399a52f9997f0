; PCI resource assignment (constants in pci_assign.inc): every BAR of every function the
; walk found (pci_functions) is sized, bridge windows are sized to hold what is behind
; them, and then everything is placed from the root bus down, largest alignment first, and
; programmed; finally the command registers enable what was assigned.
;
; Device accesses (one per config access on q35's MMCONFIG, two on pc): per function, two
; per BAR register and two for the ROM BAR to size, one per register to program, two for
; the command register; per bridge four to close its windows, one for its bus numbers, and
; per open window one to three (prefetchable: one more to learn whether it is 64-bit).

.global pci_assign_bars, pci_assign_bar_count
.bss pci_assign_bars, PCI_ASSIGN_MAX_BARS * PCI_BAR_ENTRY_SIZE, 4
.bss pci_assign_bar_count, 4
.bss pci_assign_max_align, 8        ; layout: the largest alignment it placed
.bss pci_assign_hole, 4             ; the 32-bit hole's start
.bss pci_assign_high, 8             ; where 64-bit resources may start
.bss pci_assign_fwcfg, 8            ; etc/reserved-memory-end, read here
.bss pci_assign_totals, PCI_RES_TYPES * 8
.bss pci_assign_aligns, PCI_RES_TYPES * 8
.bss pci_assign_msg, 128
.bss pci_assign_scratch, PCI_BAR_ENTRY_SIZE

; pci_assign (step, stage reserve, after the walk numbered the buses and after the e820 map
; has its reservations; before the ACPI tables, which QEMU builds from the PCI state when
; they are first read).  Nothing to do without PCI (no functions recorded).
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global pci_assign
pci_assign:
    push ebp
    xor eax, eax
    mov [pci_assign_bar_count], eax
    ; 1. size every function's BARs; close every bridge's windows
    xor ebx, ebx
size_loop:
    cmp ebx, [pci_function_count]
    jae size_done
    movzx ebp, word ptr [pci_functions + ebx * PCI_FUNC_ENTRY_SIZE + PCI_FUNC_BDF]
    mov al, [pci_functions + ebx * PCI_FUNC_ENTRY_SIZE + PCI_FUNC_HEADER]
    and al, PCI_HEADER_TYPE_MASK
    push ebx
    call assign_size_function
    pop ebx
    inc ebx
    jmp size_loop
size_done:
    ; 2. bridge windows, deepest first (the walk lists a bridge before what is behind it)
    mov ebx, [pci_function_count]
window_loop:
    test ebx, ebx
    jz window_done
    dec ebx
    mov al, [pci_functions + ebx * PCI_FUNC_ENTRY_SIZE + PCI_FUNC_HEADER]
    and al, PCI_HEADER_TYPE_MASK
    cmp al, PCI_HEADER_TYPE_BRIDGE
    jne window_loop
    movzx ebp, word ptr [pci_functions + ebx * PCI_FUNC_ENTRY_SIZE + PCI_FUNC_BDF]
    push ebx
    call assign_bridge_windows
    pop ebx
    jmp window_loop
window_done:
    ; 3. the root bus
    call assign_root_totals
    call assign_find_hole
    call assign_root_io
    call assign_root_mem
    ; 4. command registers
    call assign_enable_all
    pop ebp
    ret

; assign_size_function: add the BARs, ROM BAR of the function at EBP to the table; close a
; bridge's windows.  In: EBP = bdf, AL = header type (without the multi-function bit).
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
assign_size_function:
    cmp al, PCI_HEADER_TYPE_BRIDGE
    je size_bridge
    test al, al
    jnz size_function_done              ; CardBus and others: left alone
    mov esi, PCI_BAR0 + PCI_BARS_DEVICE * 4
    call assign_size_bars
    mov esi, PCI_ROM_DEVICE
    jmp assign_size_rom
size_bridge:
    mov esi, PCI_BAR0 + PCI_BARS_BRIDGE * 4
    call assign_size_bars
    mov esi, PCI_ROM_BRIDGE
    call assign_size_rom
    mov ecx, PCI_BRIDGE_IO_CLOSED
    mov eax, PCI_BRIDGE_IO_WINDOW
    call assign_write
    mov ecx, PCI_BRIDGE_MEM_CLOSED
    mov eax, PCI_BRIDGE_MEM_WINDOW
    call assign_write
    mov ecx, PCI_BRIDGE_MEM_CLOSED
    mov eax, PCI_BRIDGE_PREF_WINDOW
    call assign_write
    xor ecx, ecx
    mov eax, PCI_BRIDGE_PREF_BASE_UPPER
    call assign_write
size_function_done:
    ret

; assign_size_bars: size the BARs from PCI_BAR0 up to (not including) register ESI.
; In: EBP = bdf, ESI = end register.  Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
assign_size_bars:
    push esi
    mov edi, PCI_BAR0
bar_loop:
    cmp edi, [esp]
    jae bar_done
    mov ecx, PCI_BAR_SIZING
    mov eax, edi
    call assign_write
    mov eax, edi
    call assign_read
    test eax, eax
    jz bar_next                         ; not implemented
    test al, PCI_BAR_SPACE_IO_BIT
    jz bar_memory
    and eax, PCI_BAR_IO_ADDRESS_MASK
    test eax, PCI_BAR_IO16_UPPER
    jnz bar_io_mask
    or eax, PCI_BAR_IO16_UPPER
bar_io_mask:
    neg eax
    xor edx, edx
    mov ecx, PCI_RES_IO << 8
    jmp bar_add
bar_memory:
    mov ebx, eax
    and eax, PCI_BAR_MEM_ADDRESS_MASK
    mov ecx, PCI_RES_MEM << 8
    mov edx, ebx
    and edx, PCI_BAR_MEM_TYPE_MASK
    cmp edx, PCI_BAR_MEM_TYPE_64
    je bar_memory64
    neg eax
    xor edx, edx
    jmp bar_add_mem
bar_memory64:
    ; the high half: all ones too, then -(high:low) is the size
    push eax
    mov ecx, PCI_BAR_SIZING
    lea eax, [edi + 4]
    call assign_write
    lea eax, [edi + 4]
    call assign_read
    mov edx, eax
    pop eax
    neg eax
    adc edx, 0
    neg edx
    mov ecx, (PCI_BARF_64 << 16) | (PCI_RES_MEM << 8)
    test bl, PCI_BAR_PREFETCH
    jz bar_add_mem
    mov ecx, (PCI_BARF_64 << 16) | (PCI_RES_PREF << 8)
bar_add_mem:
    call assign_mem_minimum
bar_add:
    or ecx, edi
    call assign_add_entry
    test ecx, PCI_BARF_64 << 16
    jz bar_next
    add edi, 4
bar_next:
    add edi, 4
    jmp bar_loop
bar_done:
    pop esi
    ret

; assign_size_rom: size the expansion ROM BAR at register ESI (left disabled).
; In: EBP = bdf.  Clobbers: EAX, ECX, EDX, ESI, EDI.
assign_size_rom:
    mov edi, esi
    mov ecx, PCI_ROM_ADDRESS_MASK
    mov eax, edi
    call assign_write
    mov eax, edi
    call assign_read
    and eax, PCI_ROM_ADDRESS_MASK
    jz rom_none
    neg eax
    xor edx, edx
    call assign_mem_minimum
    mov ecx, (PCI_BARF_ROM << 16) | (PCI_RES_MEM << 8)
    or ecx, edi
    call assign_add_entry
rom_none:
    ret

; assign_mem_minimum: a memory size in EDX:EAX below PCI_ASSIGN_MEM_MIN becomes that.
; Clobbers: nothing.
assign_mem_minimum:
    test edx, edx
    jnz minimum_done
    cmp eax, PCI_ASSIGN_MEM_MIN
    jae minimum_done
    mov eax, PCI_ASSIGN_MEM_MIN
minimum_done:
    ret

; assign_add_entry: a BAR of size and alignment EDX:EAX.  In: EBP = bdf, ECX = register |
; type << 8 | flags << 16.  Out: ESI = the entry (a scratch entry when the table is full:
; the BAR is then left unassigned).  Clobbers: EAX, EDX.
assign_add_entry:
    mov esi, [pci_assign_bar_count]
    cmp esi, PCI_ASSIGN_MAX_BARS
    jae add_full
    inc dword ptr [pci_assign_bar_count]
    imul esi, esi, PCI_BAR_ENTRY_SIZE
    add esi, pci_assign_bars
    mov [esi + PCI_BAR_SIZE], eax
    mov [esi + PCI_BAR_SIZE + 4], edx
    mov [esi + PCI_BAR_ALIGN], eax
    mov [esi + PCI_BAR_ALIGN + 4], edx
    mov [esi + PCI_BAR_BDF], bp
    mov [esi + PCI_BAR_REG], cx
    mov eax, ecx
    shr eax, 16
    mov [esi + PCI_BAR_FLAGS], ax       ; flags; stamp 0
    xor eax, eax
    mov [esi + PCI_BAR_BASE], eax
    mov [esi + PCI_BAR_BASE + 4], eax
    ret
add_full:
    push ecx
    mov esi, pci_assign_msg_full
    call warn
    pop ecx
    mov esi, pci_assign_scratch
    ret

; assign_bridge_windows: the windows of the bridge at EBP, one entry on its bus per
; resource type present behind it: size = what is behind rounded up to the window
; granularity, alignment = the largest behind, at least the granularity.
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
assign_bridge_windows:
    mov eax, PCI_BUS_NUMBERS
    call assign_read
    movzx ebx, ah                       ; secondary bus
    test ebx, ebx
    jz windows_done                     ; not numbered: nothing behind is reachable
    xor ecx, ecx
windows_type:
    push ecx
    push ebx
    mov ch, PCI_PASS_SIZE
    xor eax, eax
    xor edx, edx
    mov esi, -1
    mov edi, -1
    call assign_layout
    pop ebx
    pop ecx
    mov esi, eax
    or esi, edx
    jz windows_next
    ; size rounded up to the granule; alignment at least the granule
    mov edi, PCI_BRIDGE_MEM_GRANULE
    cmp cl, PCI_RES_IO
    jne windows_granule
    mov edi, PCI_BRIDGE_IO_GRANULE
windows_granule:
    lea esi, [edi - 1]
    add eax, esi
    adc edx, 0
    not esi
    and eax, esi
    push ecx
    push ebx
    shl ecx, 8
    or ecx, PCI_BARF_WINDOW << 16
    cmp ch, PCI_RES_PREF
    jne windows_add
    push eax
    push edx
    push ecx
    mov eax, PCI_BRIDGE_PREF_WINDOW
    call assign_read
    pop ecx
    test al, PCI_BRIDGE_PREF_64
    jz windows_pref32
    or ecx, PCI_BARF_64 << 16
windows_pref32:
    pop edx
    pop eax
windows_add:
    call assign_add_entry
    pop ebx
    mov [esi + PCI_BAR_SECONDARY], bl
    ; alignment = max(granule, largest behind)
    cmp dword ptr [pci_assign_max_align + 4], 0
    jne windows_align_behind
    cmp [pci_assign_max_align], edi
    jbe windows_align_granule
windows_align_behind:
    mov eax, [pci_assign_max_align]
    mov edx, [pci_assign_max_align + 4]
    jmp windows_align
windows_align_granule:
    mov eax, edi
    xor edx, edx
windows_align:
    mov [esi + PCI_BAR_ALIGN], eax
    mov [esi + PCI_BAR_ALIGN + 4], edx
    pop ecx
windows_next:
    inc ecx
    cmp ecx, PCI_RES_TYPES
    jb windows_type
windows_done:
    ret

; assign_layout: place the entries of one bus and type one after the other from a base,
; in order of descending alignment, then size, then table order, so that nothing is lost
; to padding when sizes are multiples of their alignment (what SeaBIOS does too).  In the
; program pass each is written to its device (a window: and what is behind it, at its
; base); one that would end above the limit is left unassigned with a warning.
; In: EBX = bus, CL = type, CH = pass (PCI_PASS_*), EDX:EAX = base, ESI:EDI = limit
; (exclusive).  Out: EDX:EAX = the end of the last one placed; pci_assign_max_align = the
; largest alignment placed (0 when none).  Clobbers: EBX, ECX, ESI, EDI.
; Locals: PCI_LAYOUT_* (pci_assign.inc), below EBP; 24 bytes of stack per bridge level.
assign_layout:
    push ebp
    mov ebp, esp
    sub esp, PCI_LAYOUT_FRAME
    mov [ebp + PCI_LAYOUT_BUS], ebx
    mov [ebp + PCI_LAYOUT_PASS], ecx
    mov [ebp + PCI_LAYOUT_CURSOR], eax
    mov [ebp + PCI_LAYOUT_CURSOR + 4], edx
    mov [ebp + PCI_LAYOUT_LIMIT], edi
    mov [ebp + PCI_LAYOUT_LIMIT + 4], esi
    xor eax, eax
    mov [pci_assign_max_align], eax
    mov [pci_assign_max_align + 4], eax
layout_next:
    mov ebx, [ebp + PCI_LAYOUT_BUS]
    mov ecx, [ebp + PCI_LAYOUT_PASS]
    call assign_select
    test esi, esi
    jz layout_done
    mov ecx, [ebp + PCI_LAYOUT_PASS]
    mov [esi + PCI_BAR_STAMP], ch
    mov eax, [pci_assign_max_align]
    or eax, [pci_assign_max_align + 4]
    jnz layout_align
    mov eax, [esi + PCI_BAR_ALIGN]
    mov [pci_assign_max_align], eax
    mov eax, [esi + PCI_BAR_ALIGN + 4]
    mov [pci_assign_max_align + 4], eax
layout_align:
    mov eax, [ebp + PCI_LAYOUT_CURSOR]
    mov edx, [ebp + PCI_LAYOUT_CURSOR + 4]
    lea edi, [esi + PCI_BAR_ALIGN]
    call assign_align_up
    mov [esi + PCI_BAR_BASE], eax
    mov [esi + PCI_BAR_BASE + 4], edx
    add eax, [esi + PCI_BAR_SIZE]
    adc edx, [esi + PCI_BAR_SIZE + 4]
    jc layout_no_room
    cmp edx, [ebp + PCI_LAYOUT_LIMIT + 4]
    ja layout_no_room
    jb layout_fits
    cmp eax, [ebp + PCI_LAYOUT_LIMIT]
    ja layout_no_room
layout_fits:
    mov [ebp + PCI_LAYOUT_CURSOR], eax
    mov [ebp + PCI_LAYOUT_CURSOR + 4], edx
    cmp ch, PCI_PASS_PROGRAM
    jne layout_next
    call assign_program
    jmp layout_next
layout_no_room:
    or byte ptr [esi + PCI_BAR_FLAGS], PCI_BARF_SKIPPED
    mov eax, pci_assign_msg_room
    call assign_warn
    jmp layout_next
layout_done:
    mov eax, [ebp + PCI_LAYOUT_CURSOR]
    mov edx, [ebp + PCI_LAYOUT_CURSOR + 4]
    mov esp, ebp
    pop ebp
    ret

; assign_select: the next entry to place.  In: BL = bus, CL = type, CH = pass.
; Out: ESI = the entry not yet placed in this pass with the largest alignment, then size,
; first in the table; 0 when none is left.  Clobbers: EAX, EDX, EDI.
assign_select:
    xor esi, esi
    mov edi, pci_assign_bars
    mov eax, [pci_assign_bar_count]
select_loop:
    test eax, eax
    jz select_done
    cmp [edi + PCI_BAR_BUS], bl
    jne select_skip
    cmp [edi + PCI_BAR_TYPE], cl
    jne select_skip
    cmp [edi + PCI_BAR_STAMP], ch
    jae select_skip
    test esi, esi
    jz select_take
    mov edx, [edi + PCI_BAR_ALIGN + 4]
    cmp edx, [esi + PCI_BAR_ALIGN + 4]
    ja select_take
    jb select_skip
    mov edx, [edi + PCI_BAR_ALIGN]
    cmp edx, [esi + PCI_BAR_ALIGN]
    ja select_take
    jb select_skip
    mov edx, [edi + PCI_BAR_SIZE + 4]
    cmp edx, [esi + PCI_BAR_SIZE + 4]
    ja select_take
    jb select_skip
    mov edx, [edi + PCI_BAR_SIZE]
    cmp edx, [esi + PCI_BAR_SIZE]
    jbe select_skip
select_take:
    mov esi, edi
select_skip:
    add edi, PCI_BAR_ENTRY_SIZE
    dec eax
    jmp select_loop
select_done:
    ret

; assign_align_up: round EDX:EAX up to a multiple of the power of two at [EDI] (a qword).
; Clobbers: nothing.
assign_align_up:
    push ebx
    push ecx
    mov ebx, [edi]
    mov ecx, [edi + 4]
    sub ebx, 1
    sbb ecx, 0
    add eax, ebx
    adc edx, ecx
    not ebx
    not ecx
    and eax, ebx
    and edx, ecx
    pop ecx
    pop ebx
    ret

; assign_program: write the base of the entry at ESI (PCI_BAR_BASE) to its function; for a
; window, program the bridge and place what is behind it.
; Clobbers: EAX, EBX, ECX, EDX, EDI; preserves ESI.
assign_program:
    push ebp
    movzx ebp, word ptr [esi + PCI_BAR_BDF]
    test byte ptr [esi + PCI_BAR_FLAGS], PCI_BARF_WINDOW
    jnz program_window
    movzx eax, byte ptr [esi + PCI_BAR_REG]
    mov ecx, [esi + PCI_BAR_BASE]
    call assign_write
    test byte ptr [esi + PCI_BAR_FLAGS], PCI_BARF_64
    jz program_done
    movzx eax, byte ptr [esi + PCI_BAR_REG]
    add eax, 4
    mov ecx, [esi + PCI_BAR_BASE + 4]
    call assign_write
program_done:
    pop ebp
    ret
program_window:
    ; EBX:ECX... the limit (inclusive) = base + size - 1, in EDX:EAX
    mov eax, [esi + PCI_BAR_BASE]
    mov edx, [esi + PCI_BAR_BASE + 4]
    add eax, [esi + PCI_BAR_SIZE]
    adc edx, [esi + PCI_BAR_SIZE + 4]
    sub eax, 1
    sbb edx, 0
    mov cl, [esi + PCI_BAR_TYPE]
    cmp cl, PCI_RES_IO
    je program_io
    cmp cl, PCI_RES_MEM
    je program_mem
    ; prefetchable: a 32-bit window cannot go above 4 GiB
    cmp dword ptr [esi + PCI_BAR_BASE + 4], 0
    je program_pref
    test byte ptr [esi + PCI_BAR_FLAGS], PCI_BARF_64
    jnz program_pref
    or byte ptr [esi + PCI_BAR_FLAGS], PCI_BARF_SKIPPED
    mov eax, pci_assign_msg_window32
    call assign_warn
    jmp program_done
program_pref:
    push eax
    mov ecx, edx
    mov eax, PCI_BRIDGE_PREF_LIMIT_UPPER
    call assign_write
    mov ecx, [esi + PCI_BAR_BASE + 4]
    mov eax, PCI_BRIDGE_PREF_BASE_UPPER
    call assign_write
    pop eax
    mov edi, PCI_BRIDGE_PREF_WINDOW
    jmp program_mem_window
program_mem:
    mov edi, PCI_BRIDGE_MEM_WINDOW
program_mem_window:
    and eax, PCI_BRIDGE_MEM_LIMIT_MASK
    mov ecx, [esi + PCI_BAR_BASE]
    shr ecx, PCI_BRIDGE_MEM_BASE_SHIFT
    or ecx, eax
    mov eax, edi
    call assign_write
    jmp program_behind
program_io:
    ; base bits 15:12 -> byte 0 bits 7:4, limit bits 15:12 -> byte 1 bits 7:4
    mov ecx, eax
    and ecx, PCI_BRIDGE_IO_FIELD << 8
    mov eax, [esi + PCI_BAR_BASE]
    shr eax, 8
    and eax, PCI_BRIDGE_IO_FIELD
    or ecx, eax
    mov eax, PCI_BRIDGE_IO_WINDOW
    call assign_write
program_behind:
    push esi
    movzx ebx, byte ptr [esi + PCI_BAR_SECONDARY]
    mov cl, [esi + PCI_BAR_TYPE]
    mov ch, PCI_PASS_PROGRAM
    mov eax, [esi + PCI_BAR_BASE]
    mov edx, [esi + PCI_BAR_BASE + 4]
    mov edi, eax
    mov ebp, edx
    add edi, [esi + PCI_BAR_SIZE]
    adc ebp, [esi + PCI_BAR_SIZE + 4]
    mov esi, ebp
    call assign_layout
    pop esi
    jmp program_done

; assign_root_totals: what the root bus needs of each type: pci_assign_totals[type] and
; pci_assign_aligns[type] (qwords).  Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
assign_root_totals:
    xor ecx, ecx
totals_loop:
    push ecx
    xor ebx, ebx
    mov ch, PCI_PASS_SIZE
    xor eax, eax
    xor edx, edx
    mov esi, -1
    mov edi, -1
    call assign_layout
    pop ecx
    mov [pci_assign_totals + ecx * 8], eax
    mov [pci_assign_totals + ecx * 8 + 4], edx
    mov eax, [pci_assign_max_align]
    mov edx, [pci_assign_max_align + 4]
    mov [pci_assign_aligns + ecx * 8], eax
    mov [pci_assign_aligns + ecx * 8 + 4], edx
    inc ecx
    cmp ecx, PCI_RES_TYPES
    jb totals_loop
    ret

; assign_find_hole: pci_assign_hole = the end of the highest e820 range (RAM or reserved)
; that starts below PCI_ASSIGN_MEM32_END; pci_assign_high = the end of the RAM above 4 GiB
; (at least 4 GiB), or etc/reserved-memory-end if higher.
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
assign_find_hole:
    xor ebx, ebx
    mov dword ptr [pci_assign_high], 0
    mov dword ptr [pci_assign_high + 4], 1
    mov esi, e820_map
    mov ecx, [e820_count]
hole_loop:
    jecxz hole_done
    mov eax, [esi + E820_BASE]
    mov edx, [esi + E820_BASE + 4]
    add eax, [esi + E820_LENGTH]
    adc edx, [esi + E820_LENGTH + 4]
    cmp dword ptr [esi + E820_BASE + 4], 0
    jne hole_high
    mov edi, [esi + E820_BASE]
    cmp edi, PCI_ASSIGN_MEM32_END
    jae hole_high
    test edx, edx
    jz hole_low_end
    mov eax, PCI_ASSIGN_MEM32_END
hole_low_end:
    cmp eax, ebx
    jbe hole_high
    mov ebx, eax
hole_high:
    cmp dword ptr [esi + E820_TYPE], E820_RAM
    jne hole_next
    call assign_raise_high
hole_next:
    add esi, E820_ENTRY_SIZE
    dec ecx
    jmp hole_loop
hole_done:
    mov [pci_assign_hole], ebx
    mov esi, pci_assign_name_reserved_end
    call fw_cfg_find
    test eax, eax
    jz hole_no_reserved
    shl eax, 16
    or eax, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ
    mov edi, pci_assign_fwcfg
    mov ecx, 8
    call fw_cfg_xfer
    mov eax, [pci_assign_fwcfg]
    mov edx, [pci_assign_fwcfg + 4]
    call assign_raise_high
hole_no_reserved:
    ret

; assign_raise_high: pci_assign_high = max(pci_assign_high, EDX:EAX).  Clobbers: nothing.
assign_raise_high:
    cmp edx, [pci_assign_high + 4]
    jb raise_done
    ja raise_store
    cmp eax, [pci_assign_high]
    jbe raise_done
raise_store:
    mov [pci_assign_high], eax
    mov [pci_assign_high + 4], edx
raise_done:
    ret

; assign_root_io: the root bus's I/O from PCI_ASSIGN_IO_HIGH when it fits there, else from
; PCI_ASSIGN_IO_LOW.  Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
assign_root_io:
    mov eax, PCI_ASSIGN_IO_HIGH
    cmp dword ptr [pci_assign_totals + PCI_RES_IO * 8], PCI_ASSIGN_IO_END - PCI_ASSIGN_IO_HIGH
    jbe root_io_place
    mov eax, PCI_ASSIGN_IO_LOW
root_io_place:
    mov edi, PCI_ASSIGN_IO_END
    mov ecx, PCI_RES_IO | (PCI_PASS_PROGRAM << 8)
    jmp assign_root_place32

; assign_root_mem: the 32-bit and prefetchable memory.  As SeaBIOS does, both go at the top
; of the 32-bit hole (prefetchable highest) when they fit there together; else the
; prefetchable part goes above 4 GiB (pci_assign_high) and the rest at the top of the hole,
; or from its start when even that does not fit (what overflows is left unassigned, named
; in warnings).  Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
assign_root_mem:
    ; the prefetchable part's base when below 4 GiB: EDI
    mov edi, PCI_ASSIGN_MEM32_END
    mov eax, [pci_assign_totals + PCI_RES_PREF * 8]
    mov edx, [pci_assign_aligns + PCI_RES_PREF * 8]
    mov ecx, [pci_assign_totals + PCI_RES_PREF * 8 + 4]
    or ecx, [pci_assign_aligns + PCI_RES_PREF * 8 + 4]
    jnz root_pref_high
    sub edi, eax
    jb root_pref_high
    call assign_align_down32
    ; the rest below it: EBX
    mov ebx, edi
    mov eax, [pci_assign_totals + PCI_RES_MEM * 8]
    mov edx, [pci_assign_aligns + PCI_RES_MEM * 8]
    cmp dword ptr [pci_assign_totals + PCI_RES_MEM * 8 + 4], 0
    jne root_pref_high
    xchg ebx, edi
    sub edi, eax
    jb root_pref_high
    call assign_align_down32
    xchg ebx, edi
    cmp ebx, [pci_assign_hole]
    jb root_pref_high
    ; both in the hole
    push ebx
    push edi
    mov eax, edi
    mov edi, PCI_ASSIGN_MEM32_END
    mov ecx, PCI_RES_PREF | (PCI_PASS_PROGRAM << 8)
    call assign_root_place32
    pop edi
    pop eax
    mov ecx, PCI_RES_MEM | (PCI_PASS_PROGRAM << 8)
    jmp assign_root_place32
root_pref_high:
    mov eax, [pci_assign_high]
    mov edx, [pci_assign_high + 4]
    mov edi, pci_assign_aligns + PCI_RES_PREF * 8
    mov ecx, [edi]
    or ecx, [edi + 4]
    jz root_pref_placed                 ; nothing prefetchable
    call assign_align_up
    xor ebx, ebx
    mov ecx, PCI_RES_PREF | (PCI_PASS_PROGRAM << 8)
    mov esi, -1
    mov edi, -1
    call assign_layout
root_pref_placed:
    ; the rest at the top of the hole, or from its start
    mov eax, PCI_ASSIGN_MEM32_END
    mov edx, [pci_assign_aligns + PCI_RES_MEM * 8]
    cmp dword ptr [pci_assign_totals + PCI_RES_MEM * 8 + 4], 0
    jne root_mem_low
    mov edi, eax
    sub edi, [pci_assign_totals + PCI_RES_MEM * 8]
    jb root_mem_low
    call assign_align_down32
    mov eax, edi
    cmp eax, [pci_assign_hole]
    jae root_mem_place
root_mem_low:
    mov eax, [pci_assign_hole]
    xor edx, edx
    mov edi, pci_assign_aligns + PCI_RES_MEM * 8
    mov ecx, [edi]
    or ecx, [edi + 4]
    jz root_mem_place
    call assign_align_up
root_mem_place:
    mov edi, PCI_ASSIGN_MEM32_END
    mov ecx, PCI_RES_MEM | (PCI_PASS_PROGRAM << 8)
    jmp assign_root_place32

; assign_align_down32: round EDI down to a multiple of the power of two EDX (0: none).
; Clobbers: EDX.
assign_align_down32:
    neg edx
    jz align_down_done
    and edi, edx
align_down_done:
    ret

; assign_root_place32: place the root bus's entries of type CL in [EAX, EDI), below 4 GiB.
; In: ECX = type | pass << 8.  Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
assign_root_place32:
    xor ebx, ebx
    xor edx, edx
    xor esi, esi
    jmp assign_layout

; assign_enable_all: every function's command register: bridges forward I/O and memory and
; master; other functions decode the spaces of the BARs they got (the ROM BAR does not
; count: it stays disabled) and master when they got any.
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
assign_enable_all:
    xor ebx, ebx
enable_loop:
    cmp ebx, [pci_function_count]
    jae enable_done
    movzx ebp, word ptr [pci_functions + ebx * PCI_FUNC_ENTRY_SIZE + PCI_FUNC_BDF]
    mov al, [pci_functions + ebx * PCI_FUNC_ENTRY_SIZE + PCI_FUNC_HEADER]
    and al, PCI_HEADER_TYPE_MASK
    mov ecx, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER
    cmp al, PCI_HEADER_TYPE_BRIDGE
    je enable_write
    call assign_command_bits
    test ecx, ecx
    jz enable_next
enable_write:
    push ecx
    mov eax, PCI_COMMAND_DWORD
    call assign_read
    pop ecx
    and eax, PCI_COMMAND_MASK
    or ecx, eax
    mov eax, PCI_COMMAND_DWORD
    call assign_write
enable_next:
    inc ebx
    jmp enable_loop
enable_done:
    ret

; assign_command_bits: the command bits the function at EBP needs for its assigned BARs.
; Out: ECX.  Clobbers: EAX, ESI, EDI.
assign_command_bits:
    xor ecx, ecx
    mov esi, pci_assign_bars
    mov edi, [pci_assign_bar_count]
bits_loop:
    test edi, edi
    jz bits_done
    cmp [esi + PCI_BAR_BDF], bp
    jne bits_next
    test byte ptr [esi + PCI_BAR_FLAGS], PCI_BARF_ROM | PCI_BARF_WINDOW | PCI_BARF_SKIPPED
    jnz bits_next
    cmp byte ptr [esi + PCI_BAR_STAMP], PCI_PASS_PROGRAM
    jne bits_next
    mov eax, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER
    cmp byte ptr [esi + PCI_BAR_TYPE], PCI_RES_IO
    jne bits_or
    mov eax, PCI_COMMAND_IO | PCI_COMMAND_MASTER
bits_or:
    or ecx, eax
bits_next:
    add esi, PCI_BAR_ENTRY_SIZE
    dec edi
    jmp bits_loop
bits_done:
    ret

; pci_assign_rom_map: map a function's expansion ROM at the address assignment gave it
; (for option-ROM features; pci_assign_rom_unmap undoes it).  The function's memory
; decoding is enabled too.  In: EAX = bdf.  Out: EAX = the ROM's address, 0 when the
; function has no ROM BAR or it was left unassigned.  Clobbers: ECX, EDX, ESI, EDI.
.global pci_assign_rom_map
pci_assign_rom_map:
    push ebp
    mov ebp, eax
    call assign_find_rom
    test esi, esi
    jz rom_map_none
    mov eax, PCI_COMMAND_DWORD
    call assign_read
    and eax, PCI_COMMAND_MASK
    or eax, PCI_COMMAND_MEMORY
    mov ecx, eax
    mov eax, PCI_COMMAND_DWORD
    call assign_write
    mov ecx, [esi + PCI_BAR_BASE]
    or ecx, PCI_ROM_ENABLE
    movzx eax, byte ptr [esi + PCI_BAR_REG]
    call assign_write
    mov eax, [esi + PCI_BAR_BASE]
    pop ebp
    ret
rom_map_none:
    xor eax, eax
    pop ebp
    ret

; pci_assign_rom_unmap: disable the function's expansion ROM decoding again (the memory
; decoding of its BARs stays).  In: EAX = bdf.  Clobbers: EAX, ECX, EDX, ESI, EDI.
.global pci_assign_rom_unmap
pci_assign_rom_unmap:
    push ebp
    mov ebp, eax
    call assign_find_rom
    test esi, esi
    jz rom_unmap_done
    mov ecx, [esi + PCI_BAR_BASE]
    movzx eax, byte ptr [esi + PCI_BAR_REG]
    call assign_write
rom_unmap_done:
    pop ebp
    ret

; assign_find_rom: ESI = the assigned ROM BAR entry of the function at EBP, or 0.
; Clobbers: EDI.
assign_find_rom:
    mov esi, pci_assign_bars
    mov edi, [pci_assign_bar_count]
find_rom_loop:
    test edi, edi
    jz find_rom_none
    cmp [esi + PCI_BAR_BDF], bp
    jne find_rom_next
    mov cl, [esi + PCI_BAR_FLAGS]
    and cl, PCI_BARF_ROM | PCI_BARF_SKIPPED
    cmp cl, PCI_BARF_ROM
    jne find_rom_next
    cmp byte ptr [esi + PCI_BAR_STAMP], PCI_PASS_PROGRAM
    je find_rom_done
find_rom_next:
    add esi, PCI_BAR_ENTRY_SIZE
    dec edi
    jmp find_rom_loop
find_rom_none:
    xor esi, esi
find_rom_done:
    ret

; assign_warn: "pci_assign: <what> BB:DD.F register RR" for the entry at ESI.
; In: EAX = what (a NUL-terminated string).  Clobbers: EAX, EBX, ECX, EDX, EDI.
assign_warn:
    push esi
    mov edi, pci_assign_msg
    mov esi, eax
warn_copy:
    lodsb
    test al, al
    jz warn_copied
    stosb
    jmp warn_copy
warn_copied:
    pop esi
    push esi
    movzx ebx, word ptr [esi + PCI_BAR_BDF]
    mov eax, ebx
    shr eax, 8
    call assign_hex8
    mov al, PCI_ASCII_COLON
    stosb
    mov eax, ebx
    shr eax, PCI_DEVICE_SHIFT
    and eax, PCI_DEVICE_MASK
    call assign_hex8
    mov al, PCI_ASCII_DOT
    stosb
    mov eax, ebx
    and eax, PCI_FUNCTIONS_PER_DEVICE - 1
    add al, PCI_ASCII_ZERO
    stosb
    mov esi, pci_assign_msg_register
warn_copy2:
    lodsb
    stosb
    test al, al
    jnz warn_copy2
    dec edi
    pop esi
    push esi
    mov al, [esi + PCI_BAR_REG]
    call assign_hex8
    mov byte ptr [edi], 0
    mov esi, pci_assign_msg
    call warn
    pop esi
    ret

; assign_hex8: two hex digits of AL at EDI.  Out: EDI past them.  Clobbers: EAX, ECX.
assign_hex8:
    mov ecx, eax
    shr al, 4
    call hex_digit
    mov eax, ecx
hex_digit:
    and al, 0x0F
    add al, PCI_ASCII_ZERO
    cmp al, PCI_ASCII_NINE
    jbe hex_store
    add al, PCI_ASCII_HEX_LETTERS
hex_store:
    stosb
    ret

; assign_read / assign_write: config dword EAX (a register) of the function at EBP.
; assign_read: Out: EAX.  Clobbers: EDX.  assign_write: ECX = value.  Clobbers: EAX, EDX.
assign_read:
    push ecx
    mov ecx, ebp
    shl ecx, PCI_BDF_SHIFT
    or eax, ecx
    pop ecx
    jmp pci_read32
assign_write:
    push ecx
    mov ecx, ebp
    shl ecx, PCI_BDF_SHIFT
    or eax, ecx
    pop ecx
    jmp pci_write32

pci_assign_name_reserved_end:
    .asciz "etc/reserved-memory-end"
pci_assign_msg_room:
    .asciz "pci_assign: no room, left unassigned: "
pci_assign_msg_window32:
    .asciz "pci_assign: 32-bit prefetchable window cannot go above 4 GiB, left closed: "
pci_assign_msg_full:
    .asciz "pci_assign: more BARs than PCI_ASSIGN_MAX_BARS; the rest are left unassigned"
pci_assign_msg_register:
    .asciz " register "
