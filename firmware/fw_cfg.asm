; QEMU fw_cfg access (QEMU docs/specs/fw_cfg.rst), DMA interface with a port-I/O fallback.

.bss fw_cfg_dma_desc, FW_CFG_DMA_SIZE, 16
.bss fw_cfg_has_dma, 4
.bss fw_cfg_scratch, 8
.global fw_cfg_dir
.noinit fw_cfg_dir, FW_CFG_DIR_BUFFER, 4

; fw_cfg_init (step, stage fw_cfg): read the file directory, detecting the DMA interface
; on the way.  QEMU performs a DMA transfer synchronously inside the port write ("DMA
; interface"), so a descriptor whose control word is still set afterwards means there is no
; DMA interface; we then check the signature and use the data port.  With DMA this is one
; device access: the whole directory in one transfer (QEMU zero-fills reads past an item).
; Clobbers: EAX, ECX, EDX, ESI, EDI.
.global fw_cfg_init
fw_cfg_init:
    mov eax, (FW_CFG_FILE_DIR << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ
    mov edi, fw_cfg_dir
    mov ecx, FW_CFG_DIR_BUFFER
    call fw_cfg_dma_start
    mov eax, [fw_cfg_dma_desc + FW_CFG_DMA_CONTROL]
    test eax, eax
    jnz no_dma
    mov byte ptr [fw_cfg_has_dma], 1
    jmp check_count
no_dma:                             ; fw_cfg_has_dma stays 0 (bss)
    mov eax, (FW_CFG_SIGNATURE << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ
    mov edi, fw_cfg_scratch
    mov ecx, 4
    call fw_cfg_xfer
    cmp dword ptr [fw_cfg_scratch], FW_CFG_QEMU_SIGNATURE
    jne no_fw_cfg
    ; without DMA every byte is a port read: read the count, then only the entries
    mov eax, (FW_CFG_FILE_DIR << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ
    mov edi, fw_cfg_dir
    mov ecx, 4
    call fw_cfg_xfer
    mov ecx, [fw_cfg_dir]
    bswap ecx
    cmp ecx, FW_CFG_DIR_MAX_FILES
    ja too_many_files
    shl ecx, 6
    mov eax, FW_CFG_DMA_CTL_READ
    mov edi, fw_cfg_dir + 4
    call fw_cfg_xfer
check_count:
    mov eax, [fw_cfg_dir]
    bswap eax
    cmp eax, FW_CFG_DIR_MAX_FILES
    ja too_many_files
    ret
no_fw_cfg:
    call panic_here
    .asciz "no fw_cfg at port 0x510: run under QEMU"
too_many_files:
    call panic_here
    .asciz "fw_cfg has over FW_CFG_DIR_MAX_FILES files"

; fw_cfg_xfer: one fw_cfg transfer ("DMA interface" control semantics on both paths).
; In: EAX = FW_CFG_DMA_CTL_* bits, with the selector in bits 31:16 when SELECT is set;
;     EDI = guest address; ECX = length in bytes.
; Out: nothing (panics when QEMU reports a DMA error).  Clobbers: EAX, EDX.
.global fw_cfg_xfer
fw_cfg_xfer:
    cmp byte ptr [fw_cfg_has_dma], 0
    je xfer_pio
    call fw_cfg_dma_start
    mov eax, [fw_cfg_dma_desc + FW_CFG_DMA_CONTROL]
    test eax, eax
    jnz dma_error
    ret
dma_error:
    call panic_here
    .asciz "fw_cfg DMA error"
xfer_pio:
    push ecx
    push edi
    test eax, FW_CFG_DMA_CTL_SELECT
    jz pio_selected
    push eax
    shr eax, 16
    mov dx, FW_CFG_PORT_SEL
    out dx, ax
    pop eax
pio_selected:
    mov dx, FW_CFG_PORT_DATA
    test eax, FW_CFG_DMA_CTL_READ
    jz pio_not_read
    rep insb byte ptr es:[edi], dx
    jmp pio_done
pio_not_read:
    test eax, FW_CFG_DMA_CTL_SKIP
    jz pio_not_skip
    jecxz pio_done
pio_skip:
    in al, dx
    dec ecx
    jnz pio_skip
    jmp pio_done
pio_not_skip:
    test eax, FW_CFG_DMA_CTL_WRITE
    jz pio_done
    mov esi, msg_pio_write
    call warn
pio_done:
    pop edi
    pop ecx
    ret

; fw_cfg_dma_start: fill the descriptor and hand its address to QEMU (the address's high
; dword stays 0 from the zeroed bss: every address is below 4 GiB).
; In: as fw_cfg_xfer.  Out: the descriptor's control word (big-endian) is 0 when done.
; Clobbers: EAX, EDX.
fw_cfg_dma_start:
    bswap eax
    mov [fw_cfg_dma_desc + FW_CFG_DMA_CONTROL], eax
    mov eax, ecx
    bswap eax
    mov [fw_cfg_dma_desc + FW_CFG_DMA_LENGTH], eax
    mov eax, edi
    bswap eax
    mov [fw_cfg_dma_desc + FW_CFG_DMA_ADDRESS_LOW], eax
    mov eax, fw_cfg_dma_desc
    bswap eax
    mov dx, FW_CFG_PORT_DMA_LOW
    out dx, eax
    ret

; fw_cfg_find: look a file up in the directory read by fw_cfg_init.  The directory's names
; are NUL-padded, so a matching entry has, at the offset of the name's last dword (its
; last three characters and the NUL), the same dword as the name: entries are compared by
; that dword first, and name_eq runs only on the few with the same one.
; In: ESI = NUL-terminated name.  Out: EAX = selector (0 when absent), ECX = size.
; Clobbers: EDX, EDI.
.global fw_cfg_find
fw_cfg_find:
    push ebx
    push ebp
    mov edi, esi
    xor eax, eax
    mov ecx, FW_CFG_MAX_FILE_PATH
    repne scasb
    mov ebp, edi
    sub ebp, esi                    ; the name's bytes with the NUL
    sub ebp, 4
    jae find_key_tail
    ; one or two characters: the name and its NUL, zero-padded as in the directory
    lea ecx, [ebp * 8 + 32]
    xor ebp, ebp
    inc eax
    shl eax, cl
    dec eax
    and eax, [esi]
    jmp find_key_done
find_key_tail:
    mov eax, [esi + ebp]
find_key_done:
    mov ebx, [fw_cfg_dir]
    bswap ebx
    mov edx, fw_cfg_dir + 4
    test ebx, ebx
    jz find_absent
find_next:
    cmp eax, [edx + ebp + FW_CFG_FILE_NAME_OFF]
    je find_candidate
find_skip:
    add edx, FW_CFG_FILE_ENTRY_SIZE
    dec ebx
    jnz find_next
find_absent:
    xor eax, eax
    xor ecx, ecx
    pop ebp
    pop ebx
    ret
find_candidate:
    lea edi, [edx + FW_CFG_FILE_NAME_OFF]
    call name_eq
    jne find_skip
    movzx eax, word ptr [edx + FW_CFG_FILE_SELECT_OFF]
    xchg al, ah
    mov ecx, [edx + FW_CFG_FILE_SIZE_OFF]
    bswap ecx
    pop ebp
    pop ebx
    ret

; name_eq: compare two NUL-terminated fw_cfg names of at most FW_CFG_MAX_FILE_PATH bytes,
; at least one of them NUL-padded to that length (the directory's names and the ACPI
; script's are).  REPE CMPSB finds the first differing byte; the names are equal when
; there is none, or when the byte before it is the NUL that ends both.
; In: ESI, EDI = names.  Out: ZF set when equal.  Clobbers: nothing else.
.global name_eq
name_eq:
    push ecx
    push esi
    push edi
    mov ecx, FW_CFG_MAX_FILE_PATH
    repe cmpsb
    je name_out
    cmp ecx, FW_CFG_MAX_FILE_PATH - 1
    je name_differ
    cmp byte ptr [esi - 2], 0
    jmp name_out
name_differ:
    test esp, esp                   ; ZF clear: the first bytes differ
name_out:
    pop edi
    pop esi
    pop ecx
    ret

; fw_cfg_read: select an item and read it (the common transfer).
; In: EAX = selector, EDI = guest address, ECX = length.  Clobbers: EAX, EDX.
.global fw_cfg_read
fw_cfg_read:
    shl eax, 16
    or eax, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ
    jmp fw_cfg_xfer

; fw_cfg_read_file: look a file up by name and read all of it.
; In: ESI = NUL-terminated name, EDI = buffer.  Out: EAX = selector and ECX = size (both 0,
; and nothing read, when the file is absent).  Clobbers: EDX.
.global fw_cfg_read_file
fw_cfg_read_file:
    push edi
    call fw_cfg_find
    pop edi
    test eax, eax
    jz read_file_absent
    push eax
    call fw_cfg_read
    pop eax
read_file_absent:
    ret

; fw_cfg_read_item: read a 32-bit little-endian item (FW_CFG_KERNEL_SIZE and friends).
; In: EAX = selector.  Out: EAX = value.  Clobbers: ECX, EDX, EDI.
.global fw_cfg_read_item
fw_cfg_read_item:
    mov edi, fw_cfg_scratch
    mov ecx, 4
    call fw_cfg_read
    mov eax, [fw_cfg_scratch]
    ret

msg_pio_write:
    .asciz "no fw_cfg DMA: WRITE_POINTER lost"
