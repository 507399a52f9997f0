; The e820 memory map: QEMU's etc/e820 plus the firmware's own reservations, kept sorted by
; base address, without overlaps and without zero-length entries (e820.inc).

.global e820_map, e820_count
.noinit e820_map, E820_MAX * E820_ENTRY_SIZE, 4
.bss e820_count, 4
.noinit e820_tmp, E820_MAX * E820_ENTRY_SIZE, 4
.bss e820_new_start, 4
.bss e820_new_end, 4
.bss e820_new_type, 4

; e820_init (step, stage memory): load etc/e820.
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global e820_init
e820_init:
    mov esi, name_etc_e820
    call fw_cfg_find
    test eax, eax
    jz no_e820
    cmp ecx, E820_MAX * E820_ENTRY_SIZE
    ja e820_too_big
    push ecx
    mov edi, e820_map
    call fw_cfg_read
    pop eax
    xor edx, edx
    mov ecx, E820_ENTRY_SIZE
    div ecx
    mov [e820_count], eax
    ; an empty reservation normalises the table: drops empty entries and sorts it
    xor eax, eax
    xor edx, edx
    mov ebx, E820_RAM
    call e820_add
    ; the carving keeps the map free of overlaps only for the ranges the firmware adds:
    ; refuse an etc/e820 whose own entries overlap (found by fuzzing; QEMU writes none)
    mov esi, e820_map
    mov ecx, [e820_count]
e820_check_next:
    dec ecx
    jle e820_checked
    mov eax, [esi + E820_BASE]
    mov edx, [esi + E820_BASE + 4]
    add eax, [esi + E820_LENGTH]
    adc edx, [esi + E820_LENGTH + 4]
    jc e820_overlap
    add esi, E820_ENTRY_SIZE
    cmp edx, [esi + E820_BASE + 4]
    ja e820_overlap
    jb e820_check_next
    cmp eax, [esi + E820_BASE]
    jbe e820_check_next
e820_overlap:
    call panic_here
    .asciz "etc/e820 entries overlap"
e820_checked:
    ret
no_e820:
    call panic_here
    .asciz "no etc/e820: QEMU 1.7+ needed"
e820_too_big:
    call panic_here
    .asciz "etc/e820 over E820_MAX entries"

; e820_add: make [EAX, EAX+EDX) type EBX, carving it out of the entries it overlaps.
; In: EAX = start, EDX = length (the range lies below 4 GiB; length 0 only normalises),
;     EBX = type, or E820_HOLE to leave the range out of the map.  Out: e820_map/e820_count updated, sorted, no empty entries.
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global e820_add
e820_add:
    mov [e820_new_start], eax
    add edx, eax
    mov [e820_new_end], edx
    mov [e820_new_type], ebx
    imul ecx, [e820_count], E820_ENTRY_SIZE
    add ecx, e820_map
    push ecx                        ; the map's end
    mov esi, e820_map
    mov edi, e820_tmp
    xor ebx, ebx
carve_loop:
    cmp esi, [esp]
    jae carve_done
    ; empty entries go
    mov eax, [esi + E820_LENGTH]
    or eax, [esi + E820_LENGTH + 4]
    jz carve_next
    ; entries at or above 4 GiB, or starting at/after the new end, stay as they are
    mov eax, [esi + E820_BASE]
    cmp dword ptr [esi + E820_BASE + 4], 0
    jne carve_keep
    cmp eax, [e820_new_end]
    jae carve_keep
    ; so do those that end (ECX:EDX, 64-bit) at or below the new start
    mov edx, eax
    xor ecx, ecx
    add edx, [esi + E820_LENGTH]
    adc ecx, [esi + E820_LENGTH + 4]
    jnz carve_overlap
    cmp edx, [e820_new_start]
    jbe carve_keep
carve_overlap:
    ; what is left of it: [base, new_start) and [new_end, end), each when not empty
    push edx
    push ecx
    mov edx, [e820_new_start]
    xor ecx, ecx
    call carve_piece
    pop ecx
    pop edx
    mov eax, [e820_new_end]
    call carve_piece
    jmp carve_next
carve_keep:
    push esi
    mov ecx, E820_ENTRY_SIZE / 4
    rep movsd
    pop esi
    inc ebx
carve_next:
    add esi, E820_ENTRY_SIZE
    jmp carve_loop
carve_done:
    pop ecx
    ; the new entry itself, unless it is empty or a hole
    mov eax, [e820_new_start]
    mov edx, [e820_new_end]
    sub edx, eax
    jz carve_copy_back
    cmp dword ptr [e820_new_type], E820_HOLE
    je carve_copy_back
    cmp ebx, E820_MAX
    jae e820_full
    mov [edi + E820_LENGTH], edx
    and dword ptr [edi + E820_LENGTH + 4], 0
    mov edx, [e820_new_type]
    call carve_put
carve_copy_back:
    cmp ebx, E820_MAX
    ja e820_full
    mov [e820_count], ebx
    imul ecx, ebx, E820_ENTRY_SIZE / 4
    mov esi, e820_tmp
    mov edi, e820_map
    rep movsd
    jmp e820_sort

; carve_piece: append [EAX, ECX:EDX) with the type of the entry at ESI, when not empty.
; In/Out: EDI = the next entry of e820_tmp, EBX = their count.  Clobbers: EAX, ECX, EDX.
carve_piece:
    sub edx, eax
    sbb ecx, 0
    jc piece_none
    mov [edi + E820_LENGTH], edx
    mov [edi + E820_LENGTH + 4], ecx
    or edx, ecx
    jz piece_none
    mov edx, [esi + E820_TYPE]
; carve_put: complete the entry at EDI, whose length is written: base EAX (below 4 GiB),
; type EDX; count it.  In/Out: EDI, EBX.
carve_put:
    mov [edi + E820_BASE], eax
    and dword ptr [edi + E820_BASE + 4], 0
    mov [edi + E820_TYPE], edx
    add edi, E820_ENTRY_SIZE
    inc ebx
piece_none:
    ret
e820_full:
    call panic_here
    .asciz "e820 map full (E820_MAX)"

; e820_sort: insertion sort of e820_map by 64-bit base.  Clobbers: EAX, EBX, ECX, EDX, ESI.
e820_sort:
    mov ecx, 1
sort_outer:
    cmp ecx, [e820_count]
    jae sort_done
    mov ebx, ecx
sort_inner:
    test ebx, ebx
    jz sort_next
    imul esi, ebx, E820_ENTRY_SIZE
    add esi, e820_map
    mov eax, [esi - E820_ENTRY_SIZE + E820_BASE + 4]
    cmp eax, [esi + E820_BASE + 4]
    ja sort_swap
    jb sort_next
    mov eax, [esi - E820_ENTRY_SIZE + E820_BASE]
    cmp eax, [esi + E820_BASE]
    jbe sort_next
sort_swap:
    push ecx
    mov ecx, E820_ENTRY_SIZE / 4
sort_swap_dword:
    mov eax, [esi - E820_ENTRY_SIZE]
    mov edx, [esi]
    mov [esi], eax
    mov [esi - E820_ENTRY_SIZE], edx
    add esi, 4
    dec ecx
    jnz sort_swap_dword
    pop ecx
    dec ebx
    jmp sort_inner
sort_next:
    inc ecx
    jmp sort_outer
sort_done:
    ret

; e820_low_ram_top: end of the highest RAM entry below 4 GiB.
; Out: EAX = address (0 when there is none).  Clobbers: ECX, EDX, ESI.
.global e820_low_ram_top
e820_low_ram_top:
    xor eax, eax
    mov esi, e820_map
    mov ecx, [e820_count]
top_loop:
    test ecx, ecx
    jz top_done
    cmp dword ptr [esi + E820_TYPE], E820_RAM
    jne top_next
    cmp dword ptr [esi + E820_BASE + 4], 0
    jne top_next
    cmp dword ptr [esi + E820_LENGTH + 4], 0
    jne top_next
    mov edx, [esi + E820_BASE]
    add edx, [esi + E820_LENGTH]
    jc top_next
    cmp edx, eax
    jbe top_next
    mov eax, edx
top_next:
    add esi, E820_ENTRY_SIZE
    dec ecx
    jmp top_loop
top_done:
    ret

; e820_ram_end: where the RAM that contains EAX ends, counting RAM entries that touch or
; overlap as one run (the map is sorted by base).  In: EAX = address below 4 GiB.
; Out: EAX = the run's end (0xFFFFFFFF when it reaches 4 GiB), or EAX unchanged when the
; address is not RAM.  Clobbers: ECX, EDX, ESI.
.global e820_ram_end
e820_ram_end:
    mov esi, e820_map
    mov ecx, [e820_count]
run_next:
    jecxz run_done
    cmp dword ptr [esi + E820_BASE + 4], 0
    jne run_done
    mov edx, [esi + E820_BASE]
    cmp edx, eax
    ja run_done
    cmp dword ptr [esi + E820_TYPE], E820_RAM
    jne run_skip
    cmp dword ptr [esi + E820_LENGTH + 4], 0
    jne run_to_4g
    add edx, [esi + E820_LENGTH]
    jc run_to_4g
    cmp edx, eax
    jbe run_skip
    mov eax, edx
run_skip:
    add esi, E820_ENTRY_SIZE
    dec ecx
    jmp run_next
run_to_4g:
    mov eax, FOUR_GIB_MINUS_1
run_done:
    ret

; e820_is_ram: is [EAX, EDX) RAM (one run of RAM entries, below 4 GiB)?
; In: EAX = start, EDX = end (EDX >= EAX).  Out: CF clear when it is.  Clobbers: nothing.
.global e820_is_ram
e820_is_ram:
    push eax
    push ecx
    push edx
    push esi
    call e820_ram_end
    pop esi
    pop edx
    pop ecx
    cmp eax, [esp]
    je ram_no
    cmp eax, edx
    jb ram_no
    pop eax
    clc
    ret
ram_no:
    pop eax
    stc
    ret

name_etc_e820:
    .asciz "etc/e820"
