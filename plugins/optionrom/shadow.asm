; Shadow RAM for option ROMs at C0000h-EFFFFh through the host bridge's PAM1..PAM6
; registers (optionrom.inc).  The routine the board interface lacks: it finds the chipset by
; the host bridge's ID, so it needs no board code and works under the auto board.

.bss optionrom_pam0, 4

; optionrom_shadow_find: which chipset is this?  One config read (pci_read32 of 00:00.0's
; IDs).  Out: EAX = the host bridge's PAM0 register (i440fx or Q35 MCH), 0 for another
; chipset.  Clobbers: EDX.
.global optionrom_shadow_find
optionrom_shadow_find:
    xor eax, eax
    call pci_read32
    cmp eax, OPROM_I440FX_ID
    je shadow_i440fx
    cmp eax, OPROM_Q35_ID
    je shadow_q35
    xor eax, eax
    ret
shadow_i440fx:
    mov eax, OPROM_I440FX_PAM0
    ret
shadow_q35:
    mov eax, OPROM_Q35_PAM0
    ret

; optionrom_shadow_set: give C0000h-EFFFFh one attribute (PAM1..PAM6 = AL).
; In: AL = both fields of a PAM register (OPROM_PAM_READ_WRITE, OPROM_PAM_READ_ONLY);
;     optionrom_pam0 = the PAM0 register (optionrom_shadow_find).
; 12 device accesses (a CONFIG_ADDRESS and a CONFIG_DATA write per register).
; Clobbers: ECX, EDX.
.global optionrom_shadow_set
optionrom_shadow_set:
    push ebx
    mov bl, al
    mov ecx, [optionrom_pam0]
    add ecx, OPROM_PAM_FIRST
shadow_loop:
    mov eax, ecx
    and eax, PCI_CONFIG_DWORD_MASK
    or eax, PCI_CONFIG_ENABLE
    mov dx, PCI_CONFIG_ADDRESS
    out dx, eax
    mov edx, ecx
    and edx, 3
    add edx, PCI_CONFIG_DATA
    mov al, bl
    out dx, al
    inc ecx
    mov eax, [optionrom_pam0]
    add eax, OPROM_PAM_FIRST + OPROM_PAM_COUNT
    cmp ecx, eax
    jb shadow_loop
    mov al, bl
    pop ebx
    ret
