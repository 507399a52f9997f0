"""The ``multiboot`` loader: Multiboot v1 kernels (and their modules) as QEMU prepares them."""

from pathlib import Path

from qbootcore import hookimpl
from qbootcore.model import Fragment, KernelFormat, Loader

HERE = Path(__file__).parent


def fragments(ctx):
    return [Fragment.from_file(HERE / "multiboot.asm", "text32")]


@hookimpl
def qboot_loaders():
    return [Loader(
        name="multiboot",
        description="Multiboot v1 kernel and modules: memory fields and map from e820",
        fragments=fragments,
        constants=(HERE / "multiboot.inc",),
        probe="multiboot_probe",
        # QEMU loads a multiboot kernel with its multiboot option ROM (hw/i386/multiboot.c)
        formats=(KernelFormat("a multiboot kernel", ("genroms/multiboot_dma.bin",
                                                     "genroms/multiboot.bin")),),
    )]
