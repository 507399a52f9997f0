; Memory the firmware hands over to the guest: two bump allocators, as QEMU's table-loader
; zones describe them (acpi_loader.inc):
;  * high: downwards from the top of RAM below 4 GiB, at most ACPI_HIGH_MAX bytes (the room
;    QEMU leaves free when it places the initrd); reserved in e820 by alloc_reserve.
;  * fseg: upwards in the F-segment's shadow RAM below the ROM's own 16-bit region, where
;    guests scan for the RSDP, SMBIOS and MP floating pointers (reserved by core_reserve).
; Those are the defaults.  A board whose machine does not fit them places a zone itself with
; alloc_place_high / alloc_place_fseg in its chipset step, before alloc_init runs (microvm:
; QEMU leaves no room above the initrd there, and the F-segment has no RAM of its own).

.global alloc_high_ptr
.bss alloc_high_top, 4      ; the high zone is [alloc_high_floor, alloc_high_top), filled
.bss alloc_high_floor, 4    ; downwards; alloc_high_cur is its lowest allocation so far
.bss alloc_high_cur, 4
.bss alloc_high_ptr, 4      ; for loaders (alloc_init)
.bss alloc_high_placed, 4   ; nonzero when a board placed the high zone
.bss alloc_fseg_ptr, 4      ; the fseg zone is [alloc_fseg_ptr, alloc_fseg_end), filled
.bss alloc_fseg_end, 4      ; upwards; 0 until placed

; alloc_place_high: the high zone is [EAX, EDX) rather than the top of low RAM.  For boards,
; in stage chipset (before alloc_init).  Clobbers: nothing.
.global alloc_place_high
alloc_place_high:
    mov [alloc_high_floor], eax
    mov [alloc_high_top], edx
    mov [alloc_high_cur], edx
    mov byte ptr [alloc_high_placed], 1
    ret

; alloc_place_fseg: the fseg zone is [EAX, EDX) rather than the shadow RAM under the ROM; it
; must lie in 0xF0000-0xFFFFF, where guests scan for what it holds.  For boards, in stage
; chipset (before alloc_init).  Clobbers: nothing.
.global alloc_place_fseg
alloc_place_fseg:
    mov [alloc_fseg_ptr], eax
    mov [alloc_fseg_end], edx
    ret

; alloc_init (step, stage memory, after e820_init): the default zones, where no board placed
; them.  alloc_high_ptr, which loaders keep their loads below, is the lowest address the
; firmware uses at the top of low RAM: the high zone's lowest allocation, or the top of low
; RAM itself when a board placed the high zone elsewhere.  Clobbers: EAX, ECX, EDX, ESI.
.global alloc_init
alloc_init:
    call e820_low_ram_top
    mov [alloc_high_ptr], eax
    cmp byte ptr [alloc_high_placed], 0
    jne alloc_init_fseg
    mov [alloc_high_top], eax
    mov [alloc_high_cur], eax
    sub eax, ACPI_HIGH_MAX
    jnc alloc_init_floor
    xor eax, eax
alloc_init_floor:
    mov [alloc_high_floor], eax
alloc_init_fseg:
    cmp dword ptr [alloc_fseg_end], 0
    jne alloc_init_done
    mov dword ptr [alloc_fseg_ptr], FSEG_BASE
    mov dword ptr [alloc_fseg_end], REGION_FSEG_START
alloc_init_done:
    ret

; alloc_high: In: ECX = size, EDX = alignment (a power of two).  Out: EDI = address.
; Panics when the zone is full.  Clobbers: EDX.
.global alloc_high
alloc_high:
    mov edi, [alloc_high_cur]
    sub edi, ecx
    jc alloc_full
    neg edx
    and edi, edx
    cmp edi, [alloc_high_floor]
    jb alloc_full
    mov [alloc_high_cur], edi
    cmp byte ptr [alloc_high_placed], 0
    jne alloc_high_done
    mov [alloc_high_ptr], edi
alloc_high_done:
    ret

; alloc_fseg: In: ECX = size, EDX = alignment (a power of two).  Out: EDI = address.
; Panics when the zone is full.  Clobbers: EDX.
.global alloc_fseg
alloc_fseg:
    mov edi, [alloc_fseg_ptr]
    add edi, edx
    dec edi
    neg edx
    and edi, edx
    lea edx, [edi + ecx]
    cmp edx, [alloc_fseg_end]
    ja alloc_full
    mov [alloc_fseg_ptr], edx
    ret

alloc_full:
    call panic_here
    .asciz "table memory full (ACPI_HIGH_MAX or F-segment)"

; alloc_reserve (step, stage handoff): the used part of the high zone, widened to whole
; pages, becomes reserved memory in e820.  Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global alloc_reserve
alloc_reserve:
    mov eax, [alloc_high_cur]
    and eax, PAGE_MASK
    mov edx, [alloc_high_top]
    sub edx, eax
    mov ebx, E820_RESERVED
    jmp e820_add

; checksum_fix: make the bytes [ESI, ESI+ECX) sum to zero by adjusting the byte at EDI
; (which lies inside the range).  Clobbers: EAX, ECX, EDX, ESI, XMM0-XMM2.
.global checksum_fix
checksum_fix:
    mov byte ptr [edi], 0
    call checksum_sum
    neg al
    mov [edi], al
    ret

; checksum_sum: the byte sum of [ESI, ESI+ECX), as ACPI, SMBIOS and MP checksums need it.
; With SSE2 (entry32 sets cpu_has_sse2) PADDB adds 16 bytes at a time into 16 lanes, each a
; sum modulo 256 like the checksum; the last ECX mod 16 bytes are the 16 that end the range
; with the others masked off (those before the range are read, not counted); PSADBW then
; adds up the lanes.  Without SSE2, byte by byte.
; Out: AL = the sum modulo 256 (EAX's upper bits are garbage).
; Clobbers: ECX, EDX, ESI, XMM0-XMM2.
.global checksum_sum
checksum_sum:
    xor eax, eax
    cmp byte ptr [cpu_has_sse2], 0
    je sum_bytes
    pxor xmm2, xmm2
    mov edx, ecx
    shr edx, 6
    jz sum_blocks
sum_groups:
    movdqu xmm0, [esi]
    paddb xmm2, xmm0
    movdqu xmm0, [esi + 16]
    paddb xmm2, xmm0
    movdqu xmm0, [esi + 32]
    paddb xmm2, xmm0
    movdqu xmm0, [esi + 48]
    paddb xmm2, xmm0
    add esi, SUM_BLOCK * 4
    dec edx
    jnz sum_groups
sum_blocks:
    and ecx, SUM_BLOCK * 4 - 1
    cmp ecx, SUM_BLOCK
    jb sum_tail
    movdqu xmm0, [esi]
    paddb xmm2, xmm0
    add esi, SUM_BLOCK
    sub ecx, SUM_BLOCK
    jmp sum_blocks
sum_tail:
    movdqu xmm0, [esi + ecx - SUM_BLOCK]
    movdqu xmm1, [sum_tail_mask + ecx]
    pand xmm0, xmm1
    paddb xmm2, xmm0
    pxor xmm0, xmm0
    psadbw xmm2, xmm0
    movd eax, xmm2
    psrldq xmm2, 8
    movd edx, xmm2
    add eax, edx
    ret
sum_bytes:
    jecxz sum_done
sum_byte:
    add al, [esi]
    inc esi
    dec ecx
    jnz sum_byte
sum_done:
    ret

; mem_zero: zero [EDI, EDI+ECX): with SSE2 64 bytes per four MOVDQU stores, the rest with
; REP STOSD and STOSB.  Out: EDI = the end.  Clobbers: EAX, ECX, XMM0.
.global mem_zero
mem_zero:
    xor eax, eax
    cmp byte ptr [cpu_has_sse2], 0
    je zero_dwords
    pxor xmm0, xmm0
zero_groups:
    cmp ecx, SUM_BLOCK * 4
    jb zero_dwords
    movdqu [edi], xmm0
    movdqu [edi + 16], xmm0
    movdqu [edi + 32], xmm0
    movdqu [edi + 48], xmm0
    add edi, SUM_BLOCK * 4
    sub ecx, SUM_BLOCK * 4
    jmp zero_groups
zero_dwords:
    push ecx
    shr ecx, 2
    rep stosd
    pop ecx
    and ecx, 3
    rep stosb
    ret

; 16 zero bytes, then 16 of 0xFF: the 16 bytes at sum_tail_mask + N keep the last N
sum_tail_mask:
    .fill SUM_BLOCK, 1, 0
    .fill SUM_BLOCK, 1, 0xFF

