; the VGA BIOS's INT 10h vector (offset, segment), written before the F-segment is locked
.global optionrom_vga_vector
optionrom_vga_vector:
    .long 0
