"""Built-in board plugins (installed as ``qboot_boards``): one package per QEMU machine."""
