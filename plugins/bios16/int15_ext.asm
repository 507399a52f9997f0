; INT 15h functions beyond the memory map (constants in bios16.inc), reached from
; bios16_int15 (services.asm).  Real mode, CS = FSEG_SEGMENT; the handlers' contract is the
; one in services.asm.

; bios16_int15_87 (AH = 87h, block move; RBIL "INT 15 - AH=87h"): In: CX = words to copy,
; ES:SI = the caller's GDT, whose descriptors at 10h and 18h give the source and the
; destination base (32-bit linear; their limits and access bytes are not checked, as
; SeaBIOS).  The copy runs in 32-bit protected mode (bios16_block_move through
; bios16_call32, A20 on during it).  Out: AH = 0, CF clear; every other register kept.
.global bios16_int15_87
bios16_int15_87:
    pushad
    movzx ecx, cx
    mov ax, es
    movzx eax, ax
    shl eax, 4
    movzx esi, si
    add esi, eax
    mov ebp, bios16_block_move
    call bios16_call32
    popad
    mov ah, BIOS_STATUS_SUCCESS
    jmp bios16_ret_nc

; bios16_int15_86 (AH = 86h, wait; RBIL "INT 15 - AH=86h"): In: CX:DX = microseconds.
; Counts the 8254's channel 0 down (1.193182 MHz; 3 port accesses per poll) until that much
; time has passed, interrupts as the caller had them.  Out: AH = 0, CF clear.
.global bios16_int15_86
bios16_int15_86:
    push bp
    mov bp, sp
    test word ptr [bp + IRET_FRAME_FLAGS], FLAGS_IF
    pop bp
    jz wait_no_sti
    sti
wait_no_sti:
    pushad
    mov ax, cx
    shl eax, 16
    mov ax, dx
    mov edx, PIT_PER_US_MUL
    mul edx
    shrd eax, edx, PIT_PER_US_SHIFT
    shr edx, PIT_PER_US_SHIFT
    jz wait_fits
    mov eax, 0xFFFFFFFF
wait_fits:
    mov esi, eax
    call pit_count
    mov di, ax
wait_poll:
    call pit_count
    mov bx, di
    sub bx, ax
    mov di, ax
    movzx ebx, bx
    sub esi, ebx
    ja wait_poll
    popad
    cli
    mov ah, BIOS_STATUS_SUCCESS
    jmp bios16_ret_nc

; pit_count: Out: AX = channel 0's current count (latched).  Clobbers: nothing else.
pit_count:
    mov al, PIT_CH0_LATCH
    out PIT_COMMAND, al
    in al, PIT_CH0
    mov ah, al
    in al, PIT_CH0
    xchg al, ah
    ret

; bios16_int15_c0 (AH = C0h, system configuration; RBIL "INT 15 - AH=C0h"): Out: ES:BX =
; bios16_sysconf (sysconf.asm), AH = 0, CF clear.
.global bios16_int15_c0
bios16_int15_c0:
    mov bx, FSEG_SEGMENT
    mov es, bx
    mov bx, bios16_sysconf - FSEG_BASE
    mov ah, BIOS_STATUS_SUCCESS
    jmp bios16_ret_nc

; bios16_int15_24 (AH = 24h, A20 gate; RBIL "INT 15 - AX=2400h" ff.), through port 92h:
;  AL = 00h/01h: disable/enable.  Out: AH = 0, CF clear.
;  AL = 02h: status.  Out: AL = 1 when enabled, else 0, AH = 0, CF clear.
;  AL = 03h: support.  Out: BX = A20_SUPPORT_PORT92, AH = 0, CF clear.
;  other AL: AH = 86h, CF set.
.global bios16_int15_24
bios16_int15_24:
    cmp al, A20_FN_SUPPORT
    je a20_support
    ja bios16_unsupported
    cmp al, A20_FN_STATUS
    je a20_status
    push ax
    mov ah, al
    in al, PORT_A20
    and al, ~(A20_ENABLE | PORT_A20_RESET) & 0xFF
    test ah, ah
    jz a20_write
    or al, A20_ENABLE
a20_write:
    out PORT_A20, al
    pop ax
    jmp a20_ok
a20_status:
    in al, PORT_A20
    and al, A20_ENABLE
    shr al, 1
    jmp a20_ok
a20_support:
    mov bx, A20_SUPPORT_PORT92
a20_ok:
    mov ah, BIOS_STATUS_SUCCESS
    jmp bios16_ret_nc
