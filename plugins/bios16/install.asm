; The 32-bit side of the 16-bit BIOS services (constants in bios16.inc): the real-mode IVT,
; the BIOS data areas and the 8259s, the e820 copy INT 15h serves, and bios16_enter_real_mode.

; bios16_install (step, stage late, before the boards make the F-segment read-only): every
; IVT vector gets a handler
; (services.asm), the BDA and EBDA are initialised, the 8259s get the BIOS vector bases with
; every IRQ masked, and the e820 map is copied for INT 15h.  10 device accesses (the 8259
; port writes).  Clobbers: EAX, ECX, EDX, ESI, EDI.
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
    mov word ptr [IVT_BASE + INT_NMI * 4], bios16_iret - FSEG_BASE
    mov word ptr [IVT_BASE + INT_VIDEO * 4], bios16_int10 - FSEG_BASE
    mov word ptr [IVT_BASE + INT_MEMORY_SIZE * 4], bios16_int12 - FSEG_BASE
    mov word ptr [IVT_BASE + INT_DISK * 4], bios16_int13 - FSEG_BASE
    mov word ptr [IVT_BASE + INT_SYSTEM * 4], bios16_int15 - FSEG_BASE
    mov word ptr [IVT_BASE + INT_KEYBOARD * 4], bios16_int16 - FSEG_BASE
    mov word ptr [IVT_BASE + INT_TIME * 4], bios16_int1a - FSEG_BASE
    ; the BDA: COM1, where the EBDA is, how much conventional memory is below it
    mov edi, BDA_START
    xor eax, eax
    mov ecx, BDA_SIZE / 4
    rep stosd
    mov word ptr [BDA_COM1], COM1
    mov word ptr [BDA_EBDA_SEGMENT], EBDA_START >> 4
    mov word ptr [BDA_BASE_MEMORY_KB], EBDA_START >> KB_SHIFT
    ; the EBDA: its size, then the e820 copy (bios16_e820_sync)
    mov edi, EBDA_START
    mov ecx, EBDA_SIZE / 4
    rep stosd
    mov byte ptr [EBDA_START + EBDA_SIZE_KB], EBDA_SIZE >> KB_SHIFT
    ; 8259s: ICW1-ICW4, then OCW1 masks everything (the slave's cascade input included)
    mov al, PIC_ICW1_INIT_ICW4
    out PIC1_COMMAND, al
    out PIC2_COMMAND, al
    mov al, PIC1_VECTOR_BASE
    out PIC1_DATA, al
    mov al, PIC2_VECTOR_BASE
    out PIC2_DATA, al
    mov al, PIC_ICW3_MASTER_SLAVE_ON_IRQ2
    out PIC1_DATA, al
    mov al, PIC_ICW3_SLAVE_ID
    out PIC2_DATA, al
    mov al, PIC_ICW4_8086
    out PIC1_DATA, al
    out PIC2_DATA, al
    mov al, PIC1_MASK_ALL_BUT_CASCADE
    out PIC1_DATA, al
    mov al, PIC2_MASK_ALL
    out PIC2_DATA, al
    jmp bios16_e820_sync

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
; (IDTR base 0, limit 3FFh), A20 as it was, DF clear, 64 KiB segment limits.
.global bios16_enter_real_mode
bios16_enter_real_mode:
    cli
    cld
    movzx eax, word ptr [esi + RM_SS]
    movzx ebx, word ptr [esi + RM_SP]
    test ebx, ebx
    jnz erm_sp
    mov ebx, RM_SEGMENT_SIZE
erm_sp:
    sub ebx, RM_FRAME_SIZE
    jb erm_no_room
    mov edi, eax
    shl edi, 4
    add edi, ebx
    mov ecx, RM_FRAME_SIZE
    rep movsb
    and word ptr [edi - RM_FRAME_SIZE + RM_FLAGS], FLAGS_IF
    or word ptr [edi - RM_FRAME_SIZE + RM_FLAGS], FLAGS_RESERVED
    ; the real-mode IDTR, then 16-bit protected mode (bios16_pm16) with AX = SS, EBX = SP
    lidt [bios16_real_idtr]
    ; jmp SEL_CODE16:(bios16_pm16 - FSEG_BASE) (EA ptr16:32)
    .byte 0xEA
    .long bios16_pm16 - FSEG_BASE
    .word SEL_CODE16
erm_no_room:
    mov esi, msg_no_room
    jmp panic

msg_e820_truncated:
    .asciz "bios16: the e820 map has more entries than the EBDA holds; INT 15h E820h reports only those that fit"
msg_no_room:
    .asciz "bios16_enter_real_mode: the target's SP leaves no room for the handover frame"
