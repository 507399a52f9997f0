; BAR set-up for the disk loader (constants: boards/common/pci.inc, disk.inc).  Config
; space goes through pci_read32/pci_write32 (plugins/pci/pci_config.asm, feature
; pci_config): the board's MMCONFIG when it has one (one device access per read or write),
; else mechanism #1 (two).  Boot time only.

.bss disk_mmio_next, 4      ; next free address for a memory BAR (DISK_MMIO_BASE up)
.bss disk_io_next, 4        ; next free port for an I/O BAR (DISK_IO_BASE up)

; disk_pci_bar: the address of a memory BAR, assigned from DISK_MMIO_BASE up when nobody
; has (BAR reads 0); memory decoding and bus mastering are switched on.
; In: EBX = bdf, EAX = BAR index (0-5).  Out: CF clear, EAX = the BAR's address; CF set
; when it is an I/O BAR, a 64-bit BAR placed above 4 GiB or one that does not fit.
; Clobbers: ECX, EDX.
.global disk_pci_bar
disk_pci_bar:
    push esi
    push edi
    call bar_read
    test al, PCI_BAR_IO
    jnz bar_bad
    test al, PCI_BAR_TYPE_64
    jz bar_low
    push eax
    lea eax, [esi + 4]
    call pci_read32
    test eax, eax
    pop eax
    jnz bar_bad
bar_low:
    and eax, PCI_BAR_MEM_MASK
    jnz bar_enable
    mov edi, bar_kind_memory
    call bar_place
    jc bar_bad
bar_enable:
    mov ecx, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER
    jmp bar_done

; disk_pci_io_bar: the base of an I/O BAR, assigned from DISK_IO_BASE up when nobody has
; (it reads 0); I/O decoding and bus mastering are switched on.
; In: EBX = bdf, EAX = BAR index (0-5).  Out: CF clear, EAX = the base; CF set when it is a
; memory BAR or does not fit.  Clobbers: ECX, EDX.
.global disk_pci_io_bar
disk_pci_io_bar:
    push esi
    push edi
    call bar_read
    test al, PCI_BAR_IO
    jz bar_bad
    and eax, PCI_BAR_IO_MASK
    jnz io_enable
    mov edi, bar_kind_io
    call bar_place
    jc bar_bad
io_enable:
    mov ecx, PCI_COMMAND_IO | PCI_COMMAND_MASTER
bar_done:
    call command_enable
    pop edi
    pop esi
    clc
    ret
bar_bad:
    pop edi
    pop esi
    stc
    ret

; bar_read: In: EBX = bdf, EAX = BAR index (0-5).  Out: ESI = the BAR's config address,
; EAX = its value.  Clobbers: EDX.
bar_read:
    lea esi, [eax * 4 + PCI_BAR0]
    mov eax, ebx
    shl eax, PCI_BDF_SHIFT
    or eax, esi
    mov esi, eax
    jmp pci_read32

; bar_place: an unassigned BAR sized (PCI Local Bus 3.0, 6.2.5.1) and placed at the next
; free address of its kind aligned to its size.
; In: ESI = the BAR's config address, EDI = its kind (bar_kind_memory or bar_kind_io).
; Out: CF clear, EAX = the address written to the BAR; CF set when it does not fit.
; Clobbers: ECX, EDX.
bar_place:
    mov eax, esi
    mov ecx, PCI_CAP_ALL_ONES
    call pci_write32
    mov eax, esi
    call pci_read32
    and eax, [edi + BAR_KIND_MASK]
    neg eax
    and eax, [edi + BAR_KIND_MASK]
    mov ecx, [edi + BAR_KIND_NEXT]
    mov ecx, [ecx]
    test ecx, ecx
    jnz place_have_next
    mov ecx, [edi + BAR_KIND_BASE]
place_have_next:
    lea edx, [eax - 1]
    add ecx, edx
    not edx
    and ecx, edx
    lea edx, [ecx + eax]
    cmp edx, [edi + BAR_KIND_END]
    ja place_bad
    mov eax, [edi + BAR_KIND_NEXT]
    mov [eax], edx
    mov eax, esi
    call pci_write32
    mov eax, ecx
    clc
    ret
place_bad:
    stc
    ret

; the kinds of BAR bar_place assigns: BAR_KIND_* (disk.inc) mask, next-address variable,
; first address, end
bar_kind_memory:
    .long PCI_BAR_MEM_MASK, disk_mmio_next, DISK_MMIO_BASE, DISK_MMIO_END
bar_kind_io:
    .long PCI_BAR_IO_MASK, disk_io_next, DISK_IO_BASE, DISK_IO_END

; command_enable: switch decoding and bus mastering on in a function's command register.
; In: EBX = bdf, ECX = the command bits.  Out: EAX preserved.  Clobbers: ECX, EDX.
command_enable:
    push eax
    push ecx
    mov eax, ebx
    shl eax, PCI_BDF_SHIFT
    or eax, PCI_COMMAND
    call pci_read32
    pop ecx
    or ecx, eax
    cmp ecx, eax
    je command_done
    mov eax, ebx
    shl eax, PCI_BDF_SHIFT
    or eax, PCI_COMMAND
    call pci_write32
command_done:
    pop eax
    ret
