; The 16-bit BIOS services (constants in bios16.inc).  Real mode, CS = FSEG_SEGMENT; the
; handlers are reached through the IVT that bios16_install fills.  They write nothing in
; the F-segment: their data is the BDA and the EBDA.
;
; Every handler: In: the registers its service defines, any DS/ES/SS.  Out: the service's
; outputs; every other register, segment register and flag preserved, and FLAGS as the
; caller had them except for CF (and ZF where noted).  Stack: at most 12 bytes.

; bios16_unknown: every vector without a service of its own.  Out: CF set, registers
; unchanged.  bios16_ret_cf / bios16_ret_nc: the common exits (CF set / clear in the
; caller's FLAGS), for other plugins' handlers too.
.global bios16_unknown, bios16_ret_cf, bios16_ret_nc
bios16_unknown:
bios16_ret_cf:
    push bp
    mov bp, sp
    or byte ptr [bp + IRET_FRAME_FLAGS], FLAGS_CF
    pop bp
    iret
bios16_ret_nc:
    push bp
    mov bp, sp
    and byte ptr [bp + IRET_FRAME_FLAGS], ~FLAGS_CF & 0xFF
    pop bp
    iret

; bios16_iret_cf: the exit of a handler whose result is in CF (e.g. after bios16_call32):
; CF into the caller's FLAGS, then IRET.  Out: everything else preserved.
.global bios16_iret_cf
bios16_iret_cf:
    jc bios16_ret_cf
    jmp bios16_ret_nc

; bios16_unsupported: the exit of a service that has the AH = 86h convention (INT 15h).
; Out: AH = BIOS_STATUS_UNSUPPORTED, CF set.
.global bios16_unsupported
bios16_unsupported:
    mov ah, BIOS_STATUS_UNSUPPORTED
    jmp bios16_ret_cf

; bios16_irq_slave / bios16_irq_master: hardware interrupts (vectors 70h-77h / 08h-0Fh)
; nobody claimed: end of interrupt to the 8259s, nothing else.  bios16_iret: NMI.
; Out: everything preserved, FLAGS untouched.
.global bios16_irq_slave, bios16_irq_master, bios16_iret
bios16_irq_slave:
    push ax
    mov al, PIC_EOI
    out PIC2_COMMAND, al
    jmp irq_eoi_master
bios16_irq_master:
    push ax
irq_eoi_master:
    mov al, PIC_EOI
    out PIC1_COMMAND, al
    pop ax
bios16_iret:
    iret

; bios16_int12 (INT 12h): Out: AX = KiB of conventional memory (BDA_BASE_MEMORY_KB).
.global bios16_int12
bios16_int12:
    push ds
    xor ax, ax
    mov ds, ax
    mov ax, word ptr [BDA_BASE_MEMORY_KB]
    pop ds
    iret

; bios16_int13 (INT 13h): there are no BIOS disks: every drive is "no such drive".  Out:
; AH = 01h (invalid function; RBIL Table 00234, what SeaBIOS answers for a drive it does not
; have), CF set, every other register kept.  A disk plugin's handler jumps here for the
; drives that are not its own.
.global bios16_int13
bios16_int13:
    mov ah, DISK_STATUS_INVALID_FUNCTION
    jmp bios16_ret_cf

; bios16_int15 (INT 15h): the memory size services here, block move, wait, system
; configuration and A20 in int15_ext.asm; anything else: AH = 86h, CF set.
.global bios16_int15
bios16_int15:
    cmp ax, SYS_E820
    je int15_e820
    cmp ax, SYS_E801
    je int15_e801
    cmp ah, SYS_EXT_MEMORY
    je int15_88
    cmp ah, SYS_BLOCK_MOVE
    je bios16_int15_87
    cmp ah, SYS_WAIT
    je bios16_int15_86
    cmp ah, SYS_CONFIG
    je bios16_int15_c0
    cmp ah, SYS_A20
    je bios16_int15_24
    jmp bios16_unsupported

; AX = E820h: In: EDX = "SMAP", EBX = continuation (0 first), ECX = buffer size (>= 20),
; ES:DI = buffer.  Out: CF clear, EAX = "SMAP", ES:DI filled with entry EBX of the map
; (24 bytes, extended attributes "enabled", when ECX >= 24), ECX = bytes written, EBX = the
; next continuation, 0 after the last entry.  Errors (wrong signature, small buffer, bad
; continuation): AH = 86h, CF set.
int15_e820:
    cmp edx, E820_SMAP
    jne bios16_unsupported
    cmp ecx, E820_ENTRY_SIZE
    jb bios16_unsupported
    push ds
    push si
    push di
    push ecx
    xor si, si
    mov ds, si
    mov ds, word ptr [BDA_EBDA_SEGMENT]
    cmp ebx, dword ptr [EBDA_E820_COUNT]
    jae e820_bad
    imul si, bx, E820_ENTRY_SIZE
    add si, EBDA_E820_TABLE
    mov cx, E820_ENTRY_SIZE
    cld
    rep movsb
    pop ecx
    cmp ecx, E820_EXT_ENTRY_SIZE
    mov ecx, E820_ENTRY_SIZE
    jb e820_short
    mov dword ptr es:[di], E820_EXT_ATTR_ENABLED
    mov cl, E820_EXT_ENTRY_SIZE
e820_short:
    inc ebx
    cmp ebx, dword ptr [EBDA_E820_COUNT]
    jb e820_more
    xor ebx, ebx
e820_more:
    mov eax, E820_SMAP
    pop di
    pop si
    pop ds
    jmp bios16_ret_nc
e820_bad:
    pop ecx
    pop di
    pop si
    pop ds
    jmp bios16_unsupported

; AX = E801h: Out: CF clear, AX = CX = KiB of RAM from 1 MiB up to 16 MiB, BX = DX = 64 KiB
; blocks of RAM above 16 MiB; both count the RAM contiguous with 1 MiB (EBDA_RAM_END), which
; stops below any ACPI or NVS range as ACPI 6.5, 15.1 asks.  Upper halves of EAX-EDX: 0.
int15_e801:
    call ram_end
    mov ebx, eax
    sub ebx, E801_LOW_LIMIT
    jae e801_high
    xor ebx, ebx
    sub eax, EXTENDED_MEMORY_START
    shr eax, KB_SHIFT
    jmp e801_out
e801_high:
    shr ebx, E801_BLOCK_SHIFT
    mov eax, (E801_LOW_LIMIT - EXTENDED_MEMORY_START) >> KB_SHIFT
e801_out:
    mov ecx, eax
    mov edx, ebx
    jmp bios16_ret_nc

; AH = 88h: Out: CF clear, AX = KiB of RAM contiguous from 1 MiB, at most 0FFFFh (upper half
; of EAX: 0).
int15_88:
    call ram_end
    sub eax, EXTENDED_MEMORY_START
    shr eax, KB_SHIFT
    cmp eax, EXT_MEMORY_MAX_KB
    jbe ext_fits
    mov eax, EXT_MEMORY_MAX_KB
ext_fits:
    jmp bios16_ret_nc

; ram_end: Out: EAX = end of the RAM contiguous with 1 MiB (at least 1 MiB).  Clobbers:
; nothing else.
ram_end:
    push ds
    xor ax, ax
    mov ds, ax
    mov ds, word ptr [BDA_EBDA_SEGMENT]
    mov eax, dword ptr [EBDA_RAM_END]
    pop ds
    ret

; bios16_handover: the real-mode end of bios16_enter_real_mode (install.asm), entered
; from pm16_real (firmware/pm16_real.asm) in real mode, interrupts off.
; In: DX = the target's SS, EBX = its SP less RM_FRAME_SIZE, where the handover frame is.
; Takes the target's segment registers, general registers and CS:IP:FLAGS from the frame.
; Does not return.
.global bios16_handover
bios16_handover:
    mov ss, dx
    mov esp, ebx
    ; pop gs; pop fs (0F A9, 0F A1: keystone 0.9.2 adds an operand-size prefix)
    .byte 0x0F, 0xA9
    .byte 0x0F, 0xA1
    pop es
    pop ds
    popad
    iret

; bios16_real_idtr: the IDTR of real mode (base IVT_BASE, limit IVT_LIMIT), which
; bios16_enter_real_mode loads before it leaves protected mode.
.global bios16_real_idtr
bios16_real_idtr:
    .word IVT_LIMIT
    .long IVT_BASE
