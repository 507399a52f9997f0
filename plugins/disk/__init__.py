"""The ``disk`` loader: boot from a disk when QEMU got no ``-kernel`` (docs/disk.md).

As a PC BIOS does: sector 0 of a disk is read to 0000:7C00 and, when it ends in 55h AAh,
entered in real mode with DL = 80h.  Drives: virtio-blk (modern virtio 1.x over PCI), AHCI
(q35 -hda) and IDE (pc -hda).
``-kernel`` always wins: the loader runs only when QEMU has no kernel (``kernel_check``
calls it through ``boot_without_kernel``).  It needs the 16-bit services of ``bios16``.
"""

from pathlib import Path

from qbootcore import hookimpl
from qbootcore.model import Fragment, Loader
from qboot_boards.common import PCI_INC

HERE = Path(__file__).parent


def fragments(ctx):
    return [*(Fragment.from_file(HERE / name, "text32")
              for name in ("disk_boot.asm", "bootorder.asm", "disk_pci.asm", "virtio_blk.asm",
                           "ahci.asm", "ide.asm", "ata.asm", "int13.asm", "bbs.asm")),
            *(Fragment.from_file(HERE / name, "fseg", bits=16)
              for name in ("int13_rm.asm", "bbs_rm.asm"))]


@hookimpl
def qboot_loaders():
    return [Loader(
        name="disk",
        description="boot sector of a disk (virtio-blk, AHCI, IDE) when QEMU has no -kernel",
        fragments=fragments,
        constants=(PCI_INC, HERE / "disk.inc", HERE / "virtio.inc", HERE / "int13.inc",
                   HERE / "ahci.inc", HERE / "ide.inc"),
        requires=("bios16", "pci_config"),
        prepare="disk_find",
        without_kernel="disk_boot",
    )]
