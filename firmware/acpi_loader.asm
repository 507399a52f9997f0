; QEMU's ACPI table loader: runs the etc/table-loader script (acpi_loader.inc) that
; QEMU's hw/acpi/bios-linker-loader.c writes: ALLOCATE copies a fw_cfg file into guest
; memory, ADD_POINTER relocates a pointer inside one file by another file's address,
; ADD_CHECKSUM fixes an ACPI checksum, WRITE_POINTER tells QEMU where a file landed.

.global acpi_rsdp
.bss acpi_rsdp, 4
.noinit acpi_script, LOADER_BUFFER, 4
.bss acpi_script_end, 4
.bss acpi_files, ACPI_MAX_FILES * ACPI_FILE_REC, 4
.bss acpi_file_count, 4
.bss acpi_wp_value, 8               ; a pointer to write back; the high dword stays 0

; acpi_load (step, stage tables): run the script and record the RSDP in acpi_rsdp.  The
; memory comes from alloc.asm.  Without etc/table-loader (-no-acpi) it returns.
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global acpi_load
acpi_load:
    mov esi, name_table_loader
    call fw_cfg_find
    test eax, eax
    jz acpi_none
    cmp ecx, LOADER_BUFFER
    ja acpi_script_too_big
    lea edx, [ecx + acpi_script]
    mov [acpi_script_end], edx
    mov edi, acpi_script
    call fw_cfg_read
    mov ebx, acpi_script
script_loop:
    cmp ebx, [acpi_script_end]
    jae script_done
    ; commands 1-4 through loader_commands; others (0 is padding) are skipped
    mov eax, [ebx]
    dec eax
    cmp eax, LOADER_CMD_WRITE_POINTER
    jae script_next
    call dword ptr [loader_commands + eax * 4]
script_next:
    add ebx, LOADER_ENTRY_SIZE
    jmp script_loop
script_done:
    mov esi, name_rsdp
    call loader_lookup_or_null
    test edi, edi
    jz acpi_none
    mov eax, [edi]
    mov [acpi_rsdp], eax
acpi_none:
    ret
acpi_script_too_big:
    call loader_panic
    .asciz ": over LOADER_BUFFER"

; The commands, in: EBX = the entry; they preserve EBX.

; loader_allocate: ALLOCATE.  Clobbers: EAX, ECX, EDX, ESI, EDI.
loader_allocate:
    mov eax, [acpi_file_count]
    cmp eax, ACPI_MAX_FILES
    jae loader_too_many
    lea esi, [ebx + LOADER_ALLOC_FILE]
    call fw_cfg_find
    test eax, eax
    jz loader_missing_file
    ; alignment: a power of two, 0 meaning 1
    mov edx, [ebx + LOADER_ALLOC_ALIGN]
    test edx, edx
    jnz align_nonzero
    inc edx
align_nonzero:
    lea edi, [edx - 1]
    test edi, edx
    jnz loader_bad_entry
    cmp byte ptr [ebx + LOADER_ALLOC_ZONE], LOADER_ZONE_HIGH
    je alloc_in_high
    cmp byte ptr [ebx + LOADER_ALLOC_ZONE], LOADER_ZONE_FSEG
    jne loader_bad_entry
    call alloc_fseg
    jmp alloc_read
alloc_in_high:
    call alloc_high
alloc_read:
    ; record { address, size, name } and copy the file in
    mov edx, [acpi_file_count]
    shl edx, 4
    add edx, acpi_files
    mov [edx], edi
    mov [edx + 4], ecx
    lea esi, [ebx + LOADER_ALLOC_FILE]
    mov [edx + 8], esi
    inc dword ptr [acpi_file_count]
    call fw_cfg_read
    ret

; loader_lookup: find an allocated file by name.
; In: ESI = name.  Out: EDI = its record { address, size, name }.  Panics when absent.
; Clobbers: EAX.
loader_lookup:
    call loader_lookup_or_null
    test edi, edi
    jz loader_not_allocated
    ret

; loader_lookup_or_null: as loader_lookup, but EDI = 0 when absent.  Clobbers: EAX.
loader_lookup_or_null:
    push ecx
    mov ecx, [acpi_file_count]
    mov eax, acpi_files
lookup_loop:
    test ecx, ecx
    jz lookup_absent
    mov edi, [eax + 8]
    call name_eq
    je lookup_found
    add eax, ACPI_FILE_REC
    dec ecx
    jmp lookup_loop
lookup_found:
    mov edi, eax
    pop ecx
    ret
lookup_absent:
    xor edi, edi
    pop ecx
    ret

; loader_add_pointer: ADD_POINTER.  Clobbers: EAX, ECX, EDX, ESI, EDI.
loader_add_pointer:
    lea esi, [ebx + LOADER_PTR_SRC]
    call loader_lookup
    mov edx, [edi]
    lea esi, [ebx + LOADER_PTR_DEST]
    call loader_lookup
    ; bounds: offset + size <= dest size
    movzx ecx, byte ptr [ebx + LOADER_PTR_SIZE]
    mov eax, [ebx + LOADER_PTR_OFFSET]
    add ecx, eax
    jc loader_bad_entry
    cmp ecx, [edi + 4]
    ja loader_bad_entry
    add eax, [edi]
    movzx ecx, byte ptr [ebx + LOADER_PTR_SIZE]
    cmp ecx, 8
    je ptr_8
    cmp ecx, 4
    je ptr_4
    cmp ecx, 2
    je ptr_2
    cmp ecx, 1
    jne loader_bad_entry
    add byte ptr [eax], dl
    jmp ptr_done
ptr_2:
    add word ptr [eax], dx
    jmp ptr_done
ptr_8:
    add dword ptr [eax], edx
    adc dword ptr [eax + 4], 0
    jmp ptr_done
ptr_4:
    add dword ptr [eax], edx
ptr_done:
    ret

; loader_add_checksum: ADD_CHECKSUM (the byte at offset makes the range sum to zero).
; Clobbers: EAX, ECX, EDX, ESI, EDI.
loader_add_checksum:
    lea esi, [ebx + LOADER_CKSUM_FILE]
    call loader_lookup
    mov eax, [ebx + LOADER_CKSUM_OFFSET]
    cmp eax, [edi + 4]
    jae loader_bad_entry
    mov esi, [ebx + LOADER_CKSUM_START]
    mov ecx, [ebx + LOADER_CKSUM_LENGTH]
    mov edx, esi
    add edx, ecx
    jc loader_bad_entry
    cmp edx, [edi + 4]
    ja loader_bad_entry
    add esi, [edi]
    add eax, [edi]
    mov edi, eax
    call checksum_sum
    sub byte ptr [edi], al
    ret

; loader_write_pointer: WRITE_POINTER (tell QEMU a file's address through a fw_cfg file).
; Clobbers: EAX, ECX, EDX, ESI, EDI.
loader_write_pointer:
    lea esi, [ebx + LOADER_WP_SRC]
    call loader_lookup
    mov eax, [edi]
    add eax, [ebx + LOADER_WP_SRC_OFFSET]
    mov [acpi_wp_value], eax
    movzx ecx, byte ptr [ebx + LOADER_WP_SIZE]
    cmp ecx, 8
    ja loader_bad_entry
    lea esi, [ebx + LOADER_WP_DEST]
    call fw_cfg_find
    test eax, eax
    jz loader_missing_file
    movzx edx, byte ptr [ebx + LOADER_WP_SIZE]
    add edx, [ebx + LOADER_WP_DST_OFFSET]
    cmp edx, ecx
    ja loader_bad_entry
    ; select the file and skip to dst_offset, then write size bytes
    shl eax, 16
    or eax, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_SKIP
    mov ecx, [ebx + LOADER_WP_DST_OFFSET]
    mov edi, acpi_wp_value
    call fw_cfg_xfer
    mov eax, FW_CFG_DMA_CTL_WRITE
    movzx ecx, byte ptr [ebx + LOADER_WP_SIZE]
    call fw_cfg_xfer
    ret

loader_too_many:
    call loader_panic
    .asciz ": over ACPI_MAX_FILES files"
loader_missing_file:
    call loader_panic
    .asciz ": file not in fw_cfg"
loader_bad_entry:
    call loader_panic
    .asciz ": malformed entry"
loader_not_allocated:
    call loader_panic
    .asciz ": file used before ALLOCATE"

; loader_panic: panic with "etc/table-loader" and the message that follows the call (as
; panic_here).  Does not return.
loader_panic:
    mov esi, name_table_loader
    call panic_begin
    call console_puts
    pop esi
    call console_puts
    jmp panic_end

; the commands by number (acpi_loader.inc), from LOADER_CMD_ALLOCATE
loader_commands:
    .long loader_allocate, loader_add_pointer, loader_add_checksum, loader_write_pointer
name_table_loader:
    .asciz "etc/table-loader"
name_rsdp:
    .asciz "etc/acpi/rsdp"
