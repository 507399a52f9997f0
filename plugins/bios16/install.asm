; The 32-bit side of the 16-bit BIOS services (constants in bios16.inc): the real-mode IVT,
; the BIOS data areas and the 8259s, the e820 copy INT 15h serves, and bios16_enter_real_mode.

; bios16_install (step, stage late, order 50): every IVT vector gets a handler (the
; services, the fatal vectors, the hardware IRQs), the BDA and EBDA are initialised and the
; e820 map is copied for INT 15h.  No device access: the 8259s and the timer are set up only
; when a real-mode payload starts (bios16_timer_start).  Clobbers: EAX, ECX, EDX, ESI, EDI.
.global bios16_install
bios16_install:
    ; the handlers run from the F-segment, which the board has filled with the ROM's fseg
    ; region (pc, q35: shadow RAM copied from the ROM's high alias; microvm: the ROM itself)
    ; the IVT: bios16_unknown everywhere, then the hardware IRQs and the services
    mov edi, IVT_BASE
    mov eax, (FSEG_SEGMENT << 16) | (bios16_unknown - FSEG_BASE)
    mov ecx, IVT_VECTORS
    rep stosd
    mov edi, IVT_BASE + PIC1_VECTOR_BASE * 4
    mov eax, (FSEG_SEGMENT << 16) | (bios16_irq_master - FSEG_BASE)
    mov ecx, PIC_IRQS
    rep stosd
    mov edi, IVT_BASE + PIC2_VECTOR_BASE * 4
    mov eax, (FSEG_SEGMENT << 16) | (bios16_irq_slave - FSEG_BASE)
    mov ecx, PIC_IRQS
    rep stosd
    mov esi, install_vectors
install_next:
    movzx eax, word ptr [esi]
    cmp eax, IVT_VECTORS
    jae install_bda
    mov dx, [esi + 2]
    mov [IVT_BASE + eax * 4], dx
    add esi, 4
    jmp install_next
install_bda:
    ; the BDA: COM1, where the EBDA is, how much conventional memory is below it, the text
    ; mode INT 10h reports
    mov edi, BDA_START
    xor eax, eax
    mov ecx, BDA_SIZE / 4
    rep stosd
    mov word ptr [BDA_COM1], COM1
    mov word ptr [BDA_EBDA_SEGMENT], EBDA_START >> 4
    mov word ptr [BDA_BASE_MEMORY_KB], EBDA_START >> KB_SHIFT
    mov byte ptr [BDA_VIDEO_MODE], VIDEO_MODE_TEXT80
    mov word ptr [BDA_VIDEO_COLUMNS], VIDEO_COLUMNS
    mov byte ptr [BDA_VIDEO_ROWS], VIDEO_ROWS_LESS_1
    ; the EBDA: its size, then the e820 copy (bios16_e820_sync)
    mov edi, EBDA_START
    mov ecx, EBDA_SIZE / 4
    rep stosd
    mov byte ptr [EBDA_START + EBDA_SIZE_KB], EBDA_SIZE >> KB_SHIFT
    jmp bios16_e820_sync

; install_vectors: vector, handler offset in the F-segment; ends with a vector >= 256
install_vectors:
    .word 0x00, bios16_exc00 - FSEG_BASE
    .word 0x01, bios16_exc01 - FSEG_BASE
    .word INT_NMI, bios16_iret - FSEG_BASE
    .word 0x03, bios16_exc03 - FSEG_BASE
    .word 0x04, bios16_exc04 - FSEG_BASE
    .word 0x05, bios16_exc05 - FSEG_BASE
    .word 0x06, bios16_exc06 - FSEG_BASE
    .word 0x07, bios16_exc07 - FSEG_BASE
    .word INT_TIMER, bios16_irq0 - FSEG_BASE
    .word EXC_STACK_FAULT, bios16_exc0c - FSEG_BASE
    .word EXC_GENERAL_PROTECTION, bios16_exc0d - FSEG_BASE
    .word INT_VIDEO, bios16_int10 - FSEG_BASE
    .word INT_MEMORY_SIZE, bios16_int12 - FSEG_BASE
    .word INT_DISK, bios16_int13 - FSEG_BASE
    .word INT_SYSTEM, bios16_int15 - FSEG_BASE
    .word INT_KEYBOARD, bios16_int16 - FSEG_BASE
    .word INT_BOOT_FAILED, bios16_int18 - FSEG_BASE
    .word INT_BOOTSTRAP, bios16_int19 - FSEG_BASE
    .word INT_TIME, bios16_int1a - FSEG_BASE
    .word INT_USER_TICK, bios16_iret - FSEG_BASE
    .word IVT_VECTORS, 0

; bios16_e820_sync (step, stage handoff, after the table zone is reserved; also the end of
; bios16_install): copy e820_map to the EBDA for INT 15h E820h, at most EBDA_E820_MAX
; entries (more is warned about), and record for E801h/88h where the RAM that starts at
; 1 MiB ends.  No device access unless it warns.  Clobbers: EAX, ECX, EDX, ESI, EDI.
.global bios16_e820_sync
bios16_e820_sync:
    mov ecx, [e820_count]
    cmp ecx, EBDA_E820_MAX
    jbe sync_fits
    mov esi, msg_e820_truncated
    call warn
    mov ecx, EBDA_E820_MAX
sync_fits:
    mov [EBDA_START + EBDA_E820_COUNT], ecx
    imul ecx, ecx, E820_ENTRY_SIZE
    mov esi, e820_map
    mov edi, EBDA_START + EBDA_E820_TABLE
    rep movsb
    ; where the RAM that starts at 1 MiB ends (E801h/88h report no more than that)
    mov eax, EXTENDED_MEMORY_START
    call e820_ram_end
    cmp eax, E801_RAM_END_MAX
    jbe contig_done
    mov eax, E801_RAM_END_MAX
contig_done:
    mov [EBDA_START + EBDA_RAM_END], eax
    ret

; bios16_enter_real_mode: leave the firmware's protected mode and jump to real-mode code.
; In: ESI = a register block (RM_*, bios16.inc; anywhere in memory): the target's CS:IP,
;     DS, ES, FS, GS, SS:SP, EAX, EBX, ECX, EDX, ESI, EDI, EBP, and FLAGS, of which only IF
;     is taken (set: interrupts on at the jump; clear: off).  SS:SP must be RAM below 1 MiB
;     with RM_FRAME_SIZE bytes free below SP (SP = 0 is the top of the segment): the
;     handover frame is built there and consumed, so the target starts with SP as given.
;     Paging off; the caller has run the handoff steps, as every loader does.
; Out: does not return.  The target starts in real mode with the IVT of bios16_install
; (IDTR base 0, limit 3FFh), the timer running (bios16_timer_start: IRQ 0 unmasked, the
; 8259s at the BIOS vector bases), A20 as it was, DF clear, 64 KiB segment limits.
.global bios16_enter_real_mode
bios16_enter_real_mode:
    cli
    cld
    ; the BIOS timer, which real-mode programs count on (bios16_timer_start)
    call bios16_timer_start
    movzx edx, word ptr [esi + RM_SS]
    movzx ebx, word ptr [esi + RM_SP]
    test ebx, ebx
    jnz erm_sp
    mov ebx, RM_SEGMENT_SIZE
erm_sp:
    sub ebx, RM_FRAME_SIZE
    jb erm_no_room
    mov edi, edx
    shl edi, 4
    add edi, ebx
    mov ecx, RM_FRAME_SIZE
    rep movsb
    and word ptr [edi - RM_FRAME_SIZE + RM_FLAGS], FLAGS_IF
    or word ptr [edi - RM_FRAME_SIZE + RM_FLAGS], FLAGS_RESERVED
    ; the real-mode IDTR, then real mode (pm16_real, firmware/pm16_real.asm) and
    ; bios16_handover with DX = SS, EBX = SP
    lidt [bios16_real_idtr]
    mov esp, bios16_handover - FSEG_BASE
    ; jmp SEL_CODE16:(pm16_real - FSEG_BASE) (EA ptr16:32)
    .byte 0xEA
    .long pm16_real - FSEG_BASE
    .word SEL_CODE16
erm_no_room:
    mov esi, msg_no_room
    jmp panic

msg_e820_truncated:
    .asciz "bios16: the e820 map has more entries than the EBDA holds; INT 15h E820h reports only those that fit"
msg_no_room:
    .asciz "bios16_enter_real_mode: the target's SP leaves no room for the handover frame"
