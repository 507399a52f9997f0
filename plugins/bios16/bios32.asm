; The BIOS32 service entry and the PCI BIOS 32-bit interface ("$PCI") (constants in
; bios16.inc).  32-bit code in the F-segment, far-called by protected-mode guests (Linux
; i386: arch/x86/pci/pcbios.c) with a flat CS.  Guests call it through their own mapping of
; these physical addresses (Linux: PAGE_OFFSET + address), so the code is position-
; independent: relative branches only, no absolute data references, and the addresses it
; returns are the physical ones.  Every function preserves every register it does not
; document as an output (Linux relies on it), may change the arithmetic flags other than
; the documented CF, and never enables interrupts.
; The directory header that points here is bios16_bios32_directory.

; bios16_bios32_entry (far call): the BIOS32 Service Directory.
; In: EAX = service identifier, EBX = function selector (must be 0).
; Out: AL = BIOS32_PRESENT with EBX = the service's physical base, ECX = its length,
;      EDX = its entry point's offset from the base; AL = BIOS32_NOT_PRESENT for a service
;      other than "$PCI", AL = BIOS32_BAD_FUNCTION when EBX is not 0.
.global bios16_bios32_entry
bios16_bios32_entry:
    test ebx, ebx
    jnz bios32_bad_function
    cmp eax, BIOS32_SERVICE_PCI
    jne bios32_no_service
    mov ebx, pcibios_service
    mov ecx, pcibios_end - pcibios_service
    mov edx, pcibios_entry - pcibios_service
    mov al, BIOS32_PRESENT
    retf
bios32_no_service:
    mov al, BIOS32_NOT_PRESENT
    retf
bios32_bad_function:
    mov al, BIOS32_BAD_FUNCTION
    retf

; pcibios_entry (far call): PCI BIOS functions, AH = PCIBIOS_FUNCTION_ID, AL = function.
;  AL = 01h (installation check): Out: EDX = "PCI ", AH = 0, AL = hardware mechanism
;       (#1), BX = interface version 2.10, CL = last bus (the highest the PCI walk
;       numbered, 0 without the walk: bios16_last_bus.asm), CF clear.  EDI unchanged.
;  AL = 08h/09h/0Ah (read configuration byte/word/dword): In: BH = bus, BL = device <<
;       3 | function, DI = register.  Out: CL/CX/ECX = the value.
;  AL = 0Bh/0Ch/0Dh (write configuration byte/word/dword): In: as for reads, CL/CX/ECX =
;       the value.
;  Reads and writes go through configuration mechanism #1 (two port accesses).  Out: AH =
;  PCIBIOS_SUCCESSFUL with CF clear; AH = PCIBIOS_BAD_REGISTER_NUMBER (register beyond 0FFh
;  or not aligned to the access size) or PCIBIOS_FUNC_NOT_SUPPORTED (any other function)
;  with CF set.  AL is undefined on return from the configuration functions.
pcibios_service:
pcibios_entry:
    cmp ah, PCIBIOS_FUNCTION_ID
    jne pci_unsupported
    cmp al, PCIBIOS_PRESENT
    je pci_present
    cmp al, PCIBIOS_READ_CONFIG_BYTE
    jb pci_unsupported
    cmp al, PCIBIOS_WRITE_CONFIG_DWORD
    ja pci_unsupported
    cmp di, PCI_CONFIG_REGISTERS
    jae pci_bad_register
    ; alignment: word accesses need bit 0 of the register clear, dword accesses bits 1:0
    cmp al, PCIBIOS_READ_CONFIG_WORD
    je pci_word
    cmp al, PCIBIOS_WRITE_CONFIG_WORD
    je pci_word
    cmp al, PCIBIOS_READ_CONFIG_DWORD
    je pci_dword
    cmp al, PCIBIOS_WRITE_CONFIG_DWORD
    jne pci_aligned
pci_dword:
    test di, 2
    jnz pci_bad_register
pci_word:
    test di, 1
    jnz pci_bad_register
pci_aligned:
    ; CONFIG_ADDRESS = enable | bus << 16 | devfn << 8 | register & ~3; DX = the data port
    ; of the register's byte lane
    push edx
    push eax
    movzx eax, bx
    shl eax, 8
    movzx edx, di
    or eax, edx
    and al, PCI_CONFIG_DWORD_MASK
    or eax, PCI_CONFIG_ENABLE
    mov dx, PCI_CONFIG_ADDRESS
    out dx, eax
    mov edx, edi
    and edx, 3
    add edx, PCI_CONFIG_DATA
    pop eax
    cmp al, PCIBIOS_READ_CONFIG_WORD
    je pci_read_word
    jb pci_read_byte
    cmp al, PCIBIOS_WRITE_CONFIG_BYTE
    jb pci_read_dword
    je pci_write_byte
    cmp al, PCIBIOS_WRITE_CONFIG_WORD
    je pci_write_word
    mov eax, ecx
    out dx, eax
    jmp pci_done
pci_write_word:
    mov eax, ecx
    out dx, ax
    jmp pci_done
pci_write_byte:
    mov al, cl
    out dx, al
    jmp pci_done
pci_read_byte:
    in al, dx
    mov cl, al
    jmp pci_done
pci_read_word:
    in ax, dx
    mov cx, ax
    jmp pci_done
pci_read_dword:
    in eax, dx
    mov ecx, eax
pci_done:
    pop edx
    mov ah, PCIBIOS_SUCCESSFUL
    clc
    retf
pci_present:
    mov edx, PCIBIOS_SIGNATURE
    mov eax, PCIBIOS_HW_MECHANISM_1
    mov ebx, PCIBIOS_VERSION
    ; mov ecx, imm32 (B9h + imm32: the 4 bytes at pcibios_last_bus are its immediate,
    ; patched while the F-segment is still writable)
    .byte 0xB9
.global pcibios_last_bus
pcibios_last_bus:
    .long PCIBIOS_LAST_BUS
    clc
    retf
pci_bad_register:
    mov ah, PCIBIOS_BAD_REGISTER_NUMBER
    stc
    retf
pci_unsupported:
    mov ah, PCIBIOS_FUNC_NOT_SUPPORTED
    stc
    retf
pcibios_end:

; bios16_pcibios_near: the PCI BIOS for a near call, as bios16_call32 makes it (INT 1Ah
; AH = B1h in real mode, time.asm): the same functions, registers and results as
; pcibios_entry, CF the result.
.global bios16_pcibios_near
bios16_pcibios_near:
    ; push cs (0E: keystone 0.9.2 adds an operand-size prefix), then a near call: the
    ; entry's retf returns here
    .byte 0x0E
    call pcibios_entry
    ret
