; The fseg zone's pool on microvm (microvm.inc): zeroed bytes of the ROM image that the
; firmware fills, through the F-segment alias, with what guests scan 0xF0000-0xFFFFF for.
.global microvm_fseg_pool
microvm_fseg_pool:
    .zero MICROVM_FSEG_POOL_SIZE
