; ACPI S3 resume (constants in s3.inc).  At boot: the firmware RAM is reserved in e820 and
; the FACS address is recorded there.  On a wake (CMOS shutdown status 0FEh), the init
; chain has redone the chipset, fw_cfg, memory and reserve stages, which restore what the
; reset forgot (PAM, MMCONFIG, PM base, PIRQ routing, the 8259 masks and local APIC, and,
; with the pci features, bus numbers, interrupt lines, BARs, bridge windows); s3_resume then
; runs the board's late steps (the F-segment lock) and jumps to the FACS waking vector,
; never reaching the stages that write the guest's memory (tables, late, boot).

.noinit s3_record, S3_RECORD_SIZE, 4
.bss s3_far_ptr, 4

; s3_reserve (step, stage reserve): the firmware RAM (layout region bss: variables, the
; stack, s3_record) becomes reserved, since a resume runs the firmware again there.
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global s3_reserve
s3_reserve:
    mov eax, REGION_BSS_START
    mov edx, REGION_BSS_END - REGION_BSS_START
    mov ebx, E820_RESERVED
    jmp e820_add

; s3_record_facs (step, stage tables, after acpi_load): s3_record = the FACS the tables
; point at (RSDP -> RSDT -> FADT -> FIRMWARE_CTRL or X_FIRMWARE_CTRL), or invalid when
; there is none (-no-acpi, no FADT).  Clobbers: EAX, ECX, EDX, ESI, EDI.
.global s3_record_facs
s3_record_facs:
    xor eax, eax
    mov [s3_record + S3_RECORD_FACS], eax
    mov [s3_record + S3_RECORD_CHECK], eax
    mov esi, [acpi_rsdp]
    test esi, esi
    jz record_done
    mov esi, [esi + ACPI_RSDP_RSDT]
    test esi, esi
    jz record_done
    mov ecx, [esi + ACPI_SDT_LENGTH]
    sub ecx, ACPI_SDT_HEADER_SIZE
    jbe record_done
    shr ecx, 2
    lea edi, [esi + ACPI_SDT_HEADER_SIZE]
record_find_fadt:
    mov edx, [edi]
    cmp dword ptr [edx], ACPI_SIG_FACP
    je record_fadt
    add edi, 4
    dec ecx
    jnz record_find_fadt
    ret
record_fadt:
    mov eax, [edx + ACPI_FADT_FIRMWARE_CTRL]
    test eax, eax
    jnz record_facs
    cmp dword ptr [edx + ACPI_SDT_LENGTH], ACPI_FADT_X_FIRMWARE_CTRL + 8
    jb record_done
    cmp dword ptr [edx + ACPI_FADT_X_FIRMWARE_CTRL + 4], 0
    jne record_done
    mov eax, [edx + ACPI_FADT_X_FIRMWARE_CTRL]
    test eax, eax
    jz record_done
record_facs:
    cmp dword ptr [eax], ACPI_SIG_FACS
    jne record_done
    mov [s3_record + S3_RECORD_FACS], eax
    not eax
    mov [s3_record + S3_RECORD_CHECK], eax
record_done:
    ret

; s3_resume (step, stage reserve, last): on a cold boot (CMOS shutdown status not 0FEh)
; return: two device accesses.  On a wake: clear the status, lock what the board locks in
; stage late, and jump to the waking vector; panic, saying why, when there is none.
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.  Does not return on a wake.
.global s3_resume
s3_resume:
    mov al, CMOS_SHUTDOWN_STATUS
    out CMOS_INDEX, al
    in al, CMOS_DATA
    cmp al, CMOS_SHUTDOWN_S3_RESUME
    je s3_waking
    ret
s3_waking:
    mov al, CMOS_SHUTDOWN_STATUS
    out CMOS_INDEX, al
    mov al, CMOS_SHUTDOWN_NONE
    out CMOS_DATA, al
    mov esi, [s3_record + S3_RECORD_FACS]
    mov eax, esi
    not eax
    cmp eax, [s3_record + S3_RECORD_CHECK]
    jne s3_no_facs
    test esi, esi
    jz s3_no_facs
    cmp dword ptr [esi], ACPI_SIG_FACS
    jne s3_no_facs
    push esi
    call s3_board_late
    pop esi
    cmp byte ptr [esi + ACPI_FACS_VERSION], ACPI_FACS_VERSION_X_VECTOR
    jb s3_real_vector
    mov eax, [esi + ACPI_FACS_X_WAKING_VECTOR]
    mov edx, [esi + ACPI_FACS_X_WAKING_VECTOR + 4]
    mov ecx, eax
    or ecx, edx
    jz s3_real_vector
    cmp byte ptr [esi + ACPI_FACS_VERSION], ACPI_FACS_VERSION_OSPM_FLAGS
    jb s3_wake32
    test byte ptr [esi + ACPI_FACS_OSPM_FLAGS], ACPI_FACS_64BIT_WAKE_F
    jnz s3_no_64bit
s3_wake32:
    test edx, edx
    jnz s3_vector_high
    ; 32-bit flat protected mode, paging off, interrupts off: as the firmware runs
    jmp eax
s3_real_vector:
    mov eax, [esi + ACPI_FACS_WAKING_VECTOR]
    test eax, eax
    jz s3_no_vector
    mov ecx, eax
    and ecx, S3_REAL_OFFSET_MASK
    shr eax, S3_REAL_SEGMENT_SHIFT
    mov [s3_far_ptr], cx
    mov [s3_far_ptr + 2], ax
    ; DX:SI = the far pointer's real-mode address, for s3_real
    mov edx, s3_far_ptr
    mov esi, edx
    and esi, S3_REAL_OFFSET_MASK
    shr edx, S3_REAL_SEGMENT_SHIFT
    ; real mode through pm16_real (firmware/pm16_real.asm), which continues at SP
    mov esp, s3_real - FSEG_BASE
    ; jmp SEL_CODE16:(pm16_real - FSEG_BASE) (EA ptr16:32)
    .byte 0xEA
    .long pm16_real - FSEG_BASE
    .word SEL_CODE16
s3_no_facs:
    mov esi, s3_msg_no_facs
    jmp panic
s3_no_vector:
    mov esi, s3_msg_no_vector
    jmp panic
s3_no_64bit:
    mov esi, s3_msg_64bit
    jmp panic
s3_vector_high:
    mov esi, s3_msg_high
    jmp panic

s3_msg_no_facs:
    .asciz "s3: woken from S3 (CMOS shutdown status 0FEh) but no FACS was recorded at boot (no ACPI tables?); cannot resume"
s3_msg_no_vector:
    .asciz "s3: woken from S3 but the FACS has no waking vector (the OS did not set one); cannot resume"
s3_msg_64bit:
    .asciz "s3: the OS asked for a 64-bit waking environment (FACS 64BIT_WAKE_F), which the firmware does not offer"
s3_msg_high:
    .asciz "s3: the FACS X waking vector is above 4 GiB, out of reach of 32-bit protected mode"
