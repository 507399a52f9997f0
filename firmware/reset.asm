; The reset vector (region reset, ROM offset 0xFFF0 = linear 0xFFFFFFF0).
; The CPU starts here in real mode with CS base 0xFFFF0000 and IP 0xFFF0.  A near jump is
; relative, so it reaches entry16 in the same 64 KiB segment whichever alias CS points at.
; In: nothing.  Out: jumps to entry16 with interrupts off and DF clear.
reset_vector:
    cli
    cld
    jmp entry16
