"""The ``pvh`` loader: ELF kernels (Linux ``vmlinux``) through the PVH entry point."""

from pathlib import Path

from qbootcore import hookimpl
from qbootcore.model import Fragment, KernelFormat, Loader

HERE = Path(__file__).parent


def fragments(ctx):
    return [Fragment.from_file(HERE / "pvh.asm", "text32")]


@hookimpl
def qboot_loaders():
    return [Loader(
        name="pvh",
        description="ELF kernel with a PVH note (vmlinux): hvm_start_info v1, initrd as module",
        fragments=fragments,
        constants=(HERE / "pvh.inc",),
        probe="pvh_probe",
        # QEMU loads an ELF kernel with a PVH note with its pvh option ROM (hw/i386/x86.c)
        formats=(KernelFormat("a PVH ELF kernel", ("genroms/pvh.bin",)),),
    )]
