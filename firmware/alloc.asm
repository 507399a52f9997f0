; Memory the firmware hands over to the guest: two bump allocators, as QEMU's table-loader
; zones describe them (acpi_loader.inc):
;  * high: downwards from the top of RAM below 4 GiB, at most ACPI_HIGH_MAX bytes (the room
;    QEMU leaves free when it places the initrd); reserved in e820 by alloc_reserve.
;  * fseg: upwards in the F-segment's shadow RAM below the ROM's own 16-bit region, where
;    guests scan for the RSDP, SMBIOS and MP floating pointers (reserved by core_reserve).

.global alloc_high_ptr
.bss alloc_high_top, 4
.bss alloc_high_ptr, 4
.bss alloc_fseg_ptr, 4

; alloc_init (step, stage memory, after e820_init).  Clobbers: EAX, ECX, EDX, ESI.
.global alloc_init
alloc_init:
    call e820_low_ram_top
    mov [alloc_high_top], eax
    mov [alloc_high_ptr], eax
    mov dword ptr [alloc_fseg_ptr], FSEG_BASE
    ret

; alloc_high: In: ECX = size, EDX = alignment (a power of two).  Out: EDI = address.
; Panics when the zone is full.  Clobbers: EDX.
.global alloc_high
alloc_high:
    mov edi, [alloc_high_ptr]
    sub edi, ecx
    jc alloc_full
    neg edx
    and edi, edx
    mov edx, [alloc_high_top]
    sub edx, edi
    cmp edx, ACPI_HIGH_MAX
    ja alloc_full
    mov [alloc_high_ptr], edi
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
    cmp edx, REGION_FSEG_START
    ja alloc_full
    mov [alloc_fseg_ptr], edx
    ret

alloc_full:
    mov esi, msg_alloc_full
    jmp panic

; alloc_reserve (step, stage handoff): the high zone, widened to whole pages, becomes
; reserved memory in e820.  Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global alloc_reserve
alloc_reserve:
    mov eax, [alloc_high_ptr]
    and eax, PAGE_MASK
    mov edx, [alloc_high_top]
    sub edx, eax
    mov ebx, E820_RESERVED
    jmp e820_add

; checksum_fix: make the bytes [ESI, ESI+ECX) sum to zero by adjusting the byte at EDI
; (which lies inside the range).  Clobbers: EAX, ECX, ESI.
.global checksum_fix
checksum_fix:
    mov byte ptr [edi], 0
    xor al, al
    jecxz checksum_store
checksum_loop:
    add al, [esi]
    inc esi
    dec ecx
    jnz checksum_loop
checksum_store:
    neg al
    mov [edi], al
    ret

msg_alloc_full:
    .asciz "no room left in the firmware's table memory (high zone ACPI_HIGH_MAX or the F-segment)"
