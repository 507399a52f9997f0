"""A GRUB i386-pc disk image for the disk-boot tests and the disk bench, built without root
or loop devices from Debian's grub-pc-bin, e2fsprogs and fdisk (sfdisk); the one builder of
the project's GRUB disks (tests/guest/build-grub.sh runs it for the e2e fixture grub.img):

* sector 0: GRUB's boot.img (the MBR code) with a partition table;
* sectors 1..: core.img from grub-mkimage (diskboot.img's block list already points at the
  sectors that follow it), with an embedded configuration that loads the kernel and the
  initrd from partition 1 and boots them, GRUB's console on the serial port;
* partition 1 (from 1 MiB): ext2 made with ``mke2fs -d`` holding the kernel and initrd.

    python3 tests/grubdisk.py OUT KERNEL INITRD [--append ARGS] [--message TEXT]
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

GRUB_DIR = Path('/usr/lib/grub/i386-pc')
MODULES = ('biosdisk', 'part_msdos', 'ext2', 'linux', 'serial', 'terminal', 'echo')
PART_START = 2048            # sectors: partition 1 at 1 MiB, core.img in the gap before it
MBR_CODE = 440               # boot.img's code; the disk signature and table follow


def config(append: str, message: str = 'GRUB-LOADING') -> str:
    return ('serial --unit=0 --speed=115200\n'
            'terminal_input serial\nterminal_output serial\n'
            f'echo {message}\n'
            f'linux (hd0,msdos1)/vmlinuz {append}\n'
            'initrd (hd0,msdos1)/initrd.img\n'
            'boot\n')


def make_grub_disk(out: Path, kernel: Path, initrd: Path, append: str = 'console=ttyS0',
                   message: str = 'GRUB-LOADING') -> Path:
    """Write the image to ``out`` (about 1 MiB + kernel + initrd + slack) and return it.
    GRUB prints ``message`` on the serial port before it loads the kernel."""
    for tool in ('grub-mkimage', 'mke2fs', 'sfdisk'):
        if not shutil.which(tool) and not Path('/usr/sbin', tool).exists():
            raise FileNotFoundError(f'{tool} is missing: apt-get install grub-pc-bin e2fsprogs fdisk')
    with tempfile.TemporaryDirectory(prefix='qboot-grubdisk-') as tmp:
        tmp = Path(tmp)
        (tmp / 'root').mkdir()
        shutil.copy(kernel, tmp / 'root' / 'vmlinuz')
        shutil.copy(initrd, tmp / 'root' / 'initrd.img')
        (tmp / 'early.cfg').write_text(config(append, message))
        subprocess.run(['grub-mkimage', '-O', 'i386-pc', '-o', str(tmp / 'core.img'),
                        '-c', str(tmp / 'early.cfg'), '-p', '(hd0,msdos1)/boot/grub',
                        *MODULES], check=True)
        core = (tmp / 'core.img').read_bytes()
        if len(core) > (PART_START - 1) * 512:
            raise ValueError('core.img does not fit before the partition')
        payload = kernel.stat().st_size + initrd.stat().st_size
        part_kib = (payload * 5 // 4 >> 10) + 4096
        part = tmp / 'part.img'
        subprocess.run([_tool('mke2fs'), '-q', '-t', 'ext2', '-d', str(tmp / 'root'), str(part),
                        f'{part_kib}k'], check=True)
        with open(out, 'wb') as disk:
            disk.truncate((PART_START * 512) + part.stat().st_size)
        subprocess.run([_tool('sfdisk'), '-q', str(out)], check=True, text=True,
                       input=f'start={PART_START}, type=83, bootable\n', capture_output=True)
        with open(out, 'r+b') as disk:
            disk.write((GRUB_DIR / 'boot.img').read_bytes()[:MBR_CODE])
            disk.seek(512)
            disk.write(core)
            disk.seek(PART_START * 512)
            with open(part, 'rb') as src:
                shutil.copyfileobj(src, disk)
    return out


def _tool(name: str) -> str:
    return shutil.which(name) or str(Path('/usr/sbin', name))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description='Write a GRUB i386-pc disk image that boots KERNEL '
                                             'with INITRD.')
    ap.add_argument('out', type=Path)
    ap.add_argument('kernel', type=Path)
    ap.add_argument('initrd', type=Path)
    ap.add_argument('--append', default='console=ttyS0', help='the kernel command line')
    ap.add_argument('--message', default='GRUB-LOADING',
                    help='what GRUB prints on the serial port before it loads the kernel')
    args = ap.parse_args(argv)
    make_grub_disk(args.out, args.kernel, args.initrd, args.append, args.message)


if __name__ == '__main__':
    main()
