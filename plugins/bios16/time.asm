; INT 1Ah (time of day, RTC, real-mode PCI BIOS) and the timer interrupt (constants in
; bios16.inc).  Real mode, CS = FSEG_SEGMENT; the handlers' contract is the one in
; services.asm.

; bios16_int1a (INT 1Ah; RBIL "INT 1A"):
;  AH = 00h: Out: CF clear, CX:DX = ticks since midnight (40:6Ch), AL = the midnight flag
;       (40:70h), which is then cleared.
;  AH = 01h: In: CX:DX = ticks.  Out: CF clear; the midnight flag cleared.
;  AH = 02h: Out: CH = hours, CL = minutes, DH = seconds, DL = 1 when daylight saving time
;       is on, CF clear; the RTC's registers as it keeps them (BCD).
;  AH = 04h: Out: CH = century, CL = year, DH = month, DL = day, CF clear.
;       RTC functions: CF set, registers kept, when the RTC stays in its update cycle.
;  AH = B1h: the PCI BIOS (bios32.asm, the same code as the 32-bit interface, through
;       bios16_call32): registers as documented there.
;  anything else (setting the RTC, alarms): CF set, registers unchanged.
.global bios16_int1a
bios16_int1a:
    cmp ah, TIME_GET_TICKS
    je time_ticks
    cmp ah, TIME_SET_TICKS
    je time_set
    cmp ah, TIME_GET_RTC_TIME
    je time_rtc
    cmp ah, TIME_GET_RTC_DATE
    je date_rtc
    cmp ah, PCIBIOS_FUNCTION_ID
    je time_pci
    jmp bios16_ret_cf
time_ticks:
    push ds
    xor dx, dx
    mov ds, dx
    mov dx, word ptr [BDA_TICKS]
    mov cx, word ptr [BDA_TICKS + 2]
    mov al, byte ptr [BDA_MIDNIGHT]
    mov byte ptr [BDA_MIDNIGHT], 0
    pop ds
    jmp bios16_ret_nc
time_set:
    push ds
    push ax
    xor ax, ax
    mov ds, ax
    mov word ptr [BDA_TICKS], dx
    mov word ptr [BDA_TICKS + 2], cx
    mov byte ptr [BDA_MIDNIGHT], 0
    pop ax
    pop ds
    jmp bios16_ret_nc
time_rtc:
    call rtc_wait
    jc bios16_ret_cf
    push ax
    mov al, CMOS_HOURS
    call rtc_read
    mov ch, al
    mov al, CMOS_MINUTES
    call rtc_read
    mov cl, al
    mov al, CMOS_SECONDS
    call rtc_read
    mov dh, al
    mov al, CMOS_STATUS_B
    call rtc_read
    and al, CMOS_B_DST
    mov dl, al
    pop ax
    jmp bios16_ret_nc
date_rtc:
    call rtc_wait
    jc bios16_ret_cf
    push ax
    mov al, CMOS_CENTURY
    call rtc_read
    mov ch, al
    mov al, CMOS_YEAR
    call rtc_read
    mov cl, al
    mov al, CMOS_MONTH
    call rtc_read
    mov dh, al
    mov al, CMOS_DAY
    call rtc_read
    mov dl, al
    pop ax
    jmp bios16_ret_nc
time_pci:
    push ebp
    mov ebp, bios16_pcibios_near
    call bios16_call32
    pop ebp
    jmp bios16_iret_cf

; rtc_read: In: AL = CMOS register.  Out: AL = its value.  Clobbers: nothing else.
rtc_read:
    out CMOS_INDEX, al
    in al, CMOS_DATA
    ret

; rtc_wait: wait (at most RTC_UIP_POLLS polls) until the RTC is not updating its time
; registers.  Out: CF set when it still is.  Clobbers: nothing else.
rtc_wait:
    push ax
    push cx
    mov cx, RTC_UIP_POLLS
rtc_poll:
    mov al, CMOS_STATUS_A
    call rtc_read
    test al, CMOS_A_UIP
    jz rtc_ready
    dec cx
    jnz rtc_poll
    stc
    jmp rtc_done
rtc_ready:
    clc
rtc_done:
    pop cx
    pop ax
    ret

; bios16_irq0 (INT 08h, IRQ 0: the 8254's channel 0 at 18.2 Hz, once bios16_timer_start
; has run): one more tick at 40:6Ch, wrapping to 0 at midnight (TICKS_PER_DAY) with the
; midnight flag set, then INT 1Ch (a user hook; bios16 leaves it an IRET) and the end of
; interrupt.  Out: everything preserved.
.global bios16_irq0
bios16_irq0:
    push ds
    push eax
    xor ax, ax
    mov ds, ax
    mov eax, dword ptr [BDA_TICKS]
    inc eax
    cmp eax, TICKS_PER_DAY
    jb tick_store
    xor eax, eax
    mov byte ptr [BDA_MIDNIGHT], 1
tick_store:
    mov dword ptr [BDA_TICKS], eax
    int INT_USER_TICK
    mov al, PIC_EOI
    out PIC1_COMMAND, al
    pop eax
    pop ds
    iret
