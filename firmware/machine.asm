; Which machine is this?  Used by the auto board on the normal path, and on the failure path
; only by panic (a ROM built for one machine, run on another, says so instead of failing
; somewhere later).  Constants in machine.inc; the table is generated (machine_table).

.bss machine_checked, 4

; machine_host_bridge_id: the vendor/device ID dword of the PCI host bridge, 00:00.0 (all
; ones on a machine without PCI ports).  Two device accesses.
; Out: EAX = device << 16 | vendor.  Clobbers: EDX.
.global machine_host_bridge_id
machine_host_bridge_id:
    mov eax, MACHINE_HOST_BRIDGE_ID_ADDRESS
    mov dx, MACHINE_CONFIG_ADDRESS_PORT
    out dx, eax
    mov dx, MACHINE_CONFIG_DATA_PORT
    in eax, dx
    ret

; panic_machine_check (called by panic_begin, so only when the firmware cannot boot): when
; the board this ROM was built for has a host bridge ID and the machine's is another, the
; panic names both (machine_table) and what failed, and halts.  Checked once per boot.
; In: ESI = the panic message (or its first piece).  Out: returns when the machine is the
; board's, or the board has no ID.  Preserves: ESI (and EBX, ECX, EDI when it returns).
; Clobbers: EAX, EDX.
.global panic_machine_check
panic_machine_check:
    bts dword ptr [machine_checked], 0
    jc machine_check_done
    cmp dword ptr [machine_table + 4], 0
    je machine_check_done
    call machine_host_bridge_id
    cmp eax, [machine_table]
    je machine_check_done
    push esi
    mov edx, machine_table
machine_check_next:
    add edx, MACHINE_ENTRY_SIZE
    cmp eax, [edx]
    je machine_check_found
    cmp dword ptr [edx], 0
    jne machine_check_next
machine_check_found:
    mov ebx, edx                    ; nothing returns from here: EBX is free
    mov esi, machine_built
    call panic_begin
    call console_puts
    mov esi, [ebx + 4]
    call console_puts
    mov esi, machine_msg_failed
    call console_puts
    pop esi
    call console_puts
    mov esi, machine_msg_end
    call console_puts
    jmp panic_end
machine_check_done:
    ret

machine_msg_failed:
    .asciz " (failed: "
machine_msg_end:
    .asciz ")"
