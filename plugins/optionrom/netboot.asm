; netboot_boot: network boot through the NICs' option ROMs (the netboot loader; constants in
; optionrom.inc).  BIOS Boot Specification 1.01, 3.3 and 6.5.1: a bootstrap entry vector
; (BEV) of a PnP expansion header is far-called in real mode with interrupts enabled; it
; boots or, having found nothing to boot, returns.

.bss netboot_block, OPROM_CALL_BLOCK

; netboot_boot (Loader.without_kernel, when QEMU got no -kernel): when the first device of
; QEMU's -boot order is the network (-boot n), call the BEVs optionrom_run recorded, in the
; order it found them (bus order), after the handoff.  Two device accesses (CMOS) to decide.
; Out: returns when network boot was not asked for (the next loader's turn) or, with a
; warning, when no ROM offers a BEV; panics when every BEV returned.
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global netboot_boot
netboot_boot:
    mov al, CMOS_BOOT_ORDER
    out CMOS_INDEX, al
    in al, CMOS_DATA
    and al, CMOS_BOOT_FIRST_MASK
    cmp al, BOOT_CODE_NETWORK
    jne netboot_not_asked
    cmp dword ptr [optionrom_bevs], 0
    je netboot_no_bev
    call handoff
    xor ebx, ebx
netboot_next:
    ; a register block: CS:IP = the BEV, interrupts on, the option ROMs' stack
    mov edi, netboot_block
    mov ecx, OPROM_CALL_BLOCK
    xor eax, eax
    rep stosb
    mov eax, [optionrom_bevs + OPROM_LIST_ENTRIES + ebx * 4]
    mov [netboot_block + RM_IP], eax          ; IP, then CS
    mov word ptr [netboot_block + RM_FLAGS], FLAGS_IF
    mov word ptr [netboot_block + RM_SS], OPROM_STACK_SEGMENT
    mov word ptr [netboot_block + RM_SP], OPROM_STACK_TOP
    mov esi, netboot_block
    push ebx
    call bios16_call16
    pop ebx
    inc ebx
    cmp ebx, [optionrom_bevs]
    jb netboot_next
    mov esi, msg_returned
    jmp panic
netboot_no_bev:
    mov esi, msg_no_bev
    jmp warn
netboot_not_asked:
    ret

msg_no_bev:
    .asciz "netboot: -boot n asks for network boot, but no NIC has an option ROM with a boot entry (add a NIC with its iPXE ROM, e.g. -device e1000 or virtio-net-pci; -net none has none)"
msg_returned:
    .asciz "netboot: every NIC's boot entry returned without booting (no DHCP answer or no boot file: check -netdev user,tftp=...,bootfile=...)"
