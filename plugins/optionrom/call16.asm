; optionrom_far_call and its way back: 32-bit firmware code far-calls real-mode code (an
; option ROM's init entry) and gets control back (Intel SDM Vol. 3A, 9.9.2 "Switching Back
; to Real-Address Mode" and 9.9.1 "Switching to Protected Mode").  The 16-bit half is
; call16_pm16.asm and call16_rm.asm.

.bss optionrom_saved_esp, 4

; optionrom_far_call: call real-mode code at a far address; it returns with RETF.
; In: EBX = the target, segment << 16 | offset; EAX = its AX (for an option ROM: the
;     bus/device/function).  The firmware's stack (firmware RAM, below 1 MiB) serves as the
;     real-mode stack too: SS:SP is the same memory, with OPROM_RM_STACK_ROOM bytes of room.
;     Paging off, interrupts off.
; Out: EAX = what the target left in EAX.  The target runs with BX = DX = DI = FFFFh,
;     DS = ES = FS = GS = 0, interrupts off (as it finds them), the real-mode IVT; on return
;     the firmware's GDT, flat segments and interrupts off again, DF clear.
; Clobbers: EBX, ECX, EDX, ESI, EDI (EBP and ESP preserved).
.global optionrom_far_call
optionrom_far_call:
    push ebp
    mov [optionrom_saved_esp], esp
    ; real-mode SS:SP for the same stack: SS = (ESP - room) >> 4, SP = ESP - SS * 16
    mov ecx, esp
    sub ecx, OPROM_RM_STACK_ROOM
    shr ecx, PARAGRAPH_SHIFT
    mov edx, ecx
    shl ecx, PARAGRAPH_SHIFT
    neg ecx
    add ecx, esp
    lidt [bios16_real_idtr]
    ; jmp SEL_CODE16:(optionrom_pm16 - FSEG_BASE) (EA ptr16:32), with EAX, EBX, ECX = SP,
    ; EDX = SS for the 16-bit half
    .byte 0xEA
    .long optionrom_pm16 - FSEG_BASE
    .word SEL_CODE16

; optionrom_back32: where optionrom_rm comes back, in 32-bit protected mode with the
; firmware's GDT.  In: EAX = the target's EAX.  Returns to optionrom_far_call's caller.
.global optionrom_back32
optionrom_back32:
    mov esi, SEL_DATA32
    mov ds, esi
    mov es, esi
    mov fs, esi
    mov gs, esi
    mov ss, esi
    mov esp, [optionrom_saved_esp]
    pop ebp
    ret
