; Legacy persistent memory from the recipe (constants in pmem.inc; PMEM_LEGACY_START and
; PMEM_LEGACY_SIZE come from the build, see __init__.py).

; pmem_reserve (step, stage reserve, after the core's reservations): turn the range into
; E820_PRAM.  It must lie entirely in RAM that QEMU gave the guest.
; Clobbers: EAX, EBX, ECX, EDX, ESI, EDI.
.global pmem_reserve
pmem_reserve:
    mov eax, PMEM_LEGACY_START
    mov edx, PMEM_LEGACY_START + PMEM_LEGACY_SIZE
    call e820_is_ram
    jc pmem_not_ram
    mov eax, PMEM_LEGACY_START
    mov edx, PMEM_LEGACY_SIZE
    mov ebx, E820_PRAM
    jmp e820_add
pmem_not_ram:
    mov esi, msg_pmem_not_ram
    jmp panic

msg_pmem_not_ram:
    .asciz "pmem: the legacy persistent-memory range is not inside the guest's RAM; give QEMU more -m or move [options.pmem] legacy_start"
