; bios16_call16: far-call real-mode code from the firmware's 32-bit protected mode and come
; back (option ROM initialisation entries, boot entry vectors that may return).  The
; real-mode side is bios16_call16_return (call16_rm.asm).
;
; bios16_call16 (near call, 32-bit flat protected mode, the firmware's GDT loaded)
; In:  ESI = a register block (RM_*, bios16.inc, as for bios16_enter_real_mode): the
;      callee's CS:IP, DS, ES, FS, GS, SS:SP, EAX, EBX, ECX, EDX, ESI, EDI, EBP, and FLAGS, of
;      which only IF is taken.  SS:SP: RAM below 1 MiB with RM_FRAME_SIZE + C16_RETURN_SIZE
;      bytes free below SP (SP = 0: the top of the segment); less panics.  The block may
;      be anywhere in memory.  Paging off.
; The callee starts in real mode (IVT at 0, the timer running: bios16_timer_start, DF
;      clear, A20 as it was) with SP = the given SP
;      less 4: a far return address to bios16_call16_return is on its stack.  It returns
;      with RETF (any registers, interrupts on or off).
; Out: the block's EAX, EBX, ECX, EDX, ESI, EDI, EBP, DS, ES, FS, GS, SS, SP (as given, the
;      return address popped) and FLAGS are the callee's at its RETF; CS:IP unchanged.
;      A20 is on (the firmware runs from the ROM's high alias).
; Preserves: EBX, ESI, EDI, EBP, ESP, the segment registers, GDTR, IDTR, EFLAGS.
; Clobbers: EAX, ECX, EDX.  Not reentrant; not for bios16_call32's routines.
.global bios16_call16
bios16_call16:
    push ebp
    push ebx
    push esi
    push edi
    pushfd
    cli
    ; push ds, es, fs, gs, ss (1E, 06, 0F A0, 0F A8, 16: keystone 0.9.2 adds an
    ; operand-size prefix to segment pushes and pops in 32-bit code)
    .byte 0x1E, 0x06, 0x0F, 0xA0, 0x0F, 0xA8, 0x16
    sub esp, C16_TABLES_SIZE
    ; sgdt [esp]; sidt [esp + C16_IDTR] (0F 01 04 24; 0F 01 4C 24 disp8: keystone 0.9.2
    ; gives the descriptor-table instructions a 16-bit operand-size prefix)
    .byte 0x0F, 0x01, 0x04, 0x24
    .byte 0x0F, 0x01, 0x4C, 0x24, C16_IDTR
    movzx eax, word ptr [BDA_EBDA_SEGMENT]
    shl eax, 4
    mov [eax + EBDA_C16_ESP], esp
    ; a copy of the block whose SP leaves room for the return address, which goes below
    ; the callee's SP
    sub esp, RM_SIZE
    mov edi, esp
    mov ecx, RM_SIZE
    cld
    rep movsb
    movzx eax, word ptr [esp + RM_SP]
    test eax, eax
    jnz c16_sp
    mov eax, RM_SEGMENT_SIZE
c16_sp:
    sub eax, C16_RETURN_SIZE + RM_FRAME_SIZE
    jb c16_no_room
    add eax, RM_FRAME_SIZE
    mov [esp + RM_SP], ax
    movzx edx, word ptr [esp + RM_SS]
    shl edx, 4
    mov dword ptr [edx + eax], (FSEG_SEGMENT << 16) | (bios16_call16_return - FSEG_BASE)
    mov esi, esp
    jmp bios16_enter_real_mode
c16_no_room:
    mov esi, msg_c16_no_room
    jmp panic

; bios16_call16_back: the return to bios16_call16's caller, entered from
; bios16_call16_return through bios16_pm32 (flat segments, interrupts off), the callee's
; registers in the EBDA (EBDA_C16_REGS).  Does not return (it returns for bios16_call16).
.global bios16_call16_back
bios16_call16_back:
    movzx esi, word ptr [BDA_EBDA_SEGMENT]
    shl esi, 4
    mov esp, [esi + EBDA_C16_ESP]
    add esi, EBDA_C16_REGS
    ; lgdt [esp]; lidt [esp + C16_IDTR] (0F 01 14 24; 0F 01 5C 24 disp8)
    .byte 0x0F, 0x01, 0x14, 0x24
    .byte 0x0F, 0x01, 0x5C, 0x24, C16_IDTR
    ; the callee's registers into the caller's block: all but CS:IP
    mov edi, [esp + C16_SAVED_ESI]
    mov ecx, RM_IP
    cld
    rep movsb
    add esi, RM_FLAGS - RM_IP
    add edi, RM_FLAGS - RM_IP
    mov ecx, RM_SIZE - RM_FLAGS
    rep movsb
    add esp, C16_TABLES_SIZE
    ; pop ss, gs, fs, es, ds (17, 0F A9, 0F A1, 07, 1F)
    .byte 0x17, 0x0F, 0xA9, 0x0F, 0xA1, 0x07, 0x1F
    popfd
    pop edi
    pop esi
    pop ebx
    pop ebp
    ret

msg_c16_no_room:
    .asciz "bios16_call16: the callee's SP leaves no room for the return address and the handover frame"
