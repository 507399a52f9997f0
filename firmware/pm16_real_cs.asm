; pm16_real_cs: pm16_real's first real-mode instruction (CS = FSEG_SEGMENT): on to the
; continuation.  In: SP = its offset in the F-segment.  Does not return.
.global pm16_real_cs
pm16_real_cs:
    jmp sp
