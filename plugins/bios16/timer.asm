; bios16_timer_start: the BIOS timer, for real-mode payloads only (the protected-mode
; loaders never call it): the 8259s at the BIOS vector bases (IRQ 0-7 at 08h-0Fh, 8-15 at
; 70h-77h) with everything but IRQ 0 and the cascade masked, the 8254's channel 0 at
; 18.2 Hz (mode 2, divisor 65536), so that INT 08h (bios16_irq0) counts the ticks at
; 40:6Ch; and the i8042's command byte, for INT 16h: scan code set 1 (translation on),
; system flag, mouse off, no keyboard interrupt (a controller that is not there ignores it).
; Once per boot (EBDA_TIMER_ON); 15 port writes the first time.
; In: 32-bit flat protected mode, interrupts off.  Clobbers: EAX, EDX.
.global bios16_timer_start
bios16_timer_start:
    movzx edx, word ptr [BDA_EBDA_SEGMENT]
    shl edx, 4
    cmp byte ptr [edx + EBDA_TIMER_ON], 0
    jne timer_on
    mov byte ptr [edx + EBDA_TIMER_ON], 1
    ; 8259s: ICW1-ICW4, then OCW1
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
    mov al, PIC1_MASK_TIMER_ONLY
    out PIC1_DATA, al
    mov al, PIC2_MASK_ALL
    out PIC2_DATA, al
    ; 8254 channel 0
    mov al, PIT_CH0_MODE2_LOHI
    out PIT_COMMAND, al
    mov al, PIT_DIVISOR_18HZ & 0xFF
    out PIT_CH0, al
    mov al, PIT_DIVISOR_18HZ >> 8
    out PIT_CH0, al
    ; i8042 command byte
    mov al, I8042_CMD_WRITE_MODE
    out I8042_COMMAND, al
    mov al, I8042_MODE
    out I8042_DATA, al
timer_on:
    ret
