"""End-to-end: guests without ACPI find every CPU in the MP table (plugins/mptable), and
real-mode programs see the firmware's memory map through the 16-bit services (plugins/bios16).

Debian's cloud kernel is built without CONFIG_X86_MPPARSE and never reads an MP table, so
the MP table boots use Debian's generic kernel of the same version
(tests/guest/build-mpparse.sh) with the same busybox initramfs."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qbootcore import hookimpl
from qbootcore.build import Selection, build, write
from qbootcore.model import Fragment, Loader
from qbootcore.plugins import build_registry, make_manager, registry
from tests.qemu import REPO, boot

TIMEOUT = 60
CPUS = 4


@pytest.fixture(scope='session')
def mpparse_kernel(guest) -> Path:
    kernel = guest / 'vmlinuz-mpparse'
    if not kernel.is_file():
        script = REPO / 'tests' / 'guest' / 'build-mpparse.sh'
        subprocess.run(['bash', str(script)], check=True)
    return kernel


def build_rom(tmp_path_factory, *args) -> Path:
    venv_cli = Path(sys.executable).parent / 'qboot-fw'
    cli = str(venv_cli) if venv_cli.exists() else shutil.which('qboot-fw')
    out = tmp_path_factory.mktemp('rom') / 'bios.bin'
    proc = subprocess.run([cli, 'build', *args, '-o', str(out)], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out


def assert_found_every_cpu(r):
    assert r.report is not None and r.done and r.returncode == 0, r.describe()
    assert r.report['cpus'] == CPUS, r.describe()
    assert r.report['acpi'] == [], r.report                  # nothing came from ACPI
    assert 'found SMP MP-table' in r.serial, r.describe()
    assert re.search(rf'IOAPIC\[0\]: apic_id {CPUS}, .* address 0xfec00000', r.serial), \
        r.describe()
    assert r.dmesg_errors == 0, r.describe()


def test_q35_kernel_with_acpi_off_finds_every_cpu(bios, guest, mpparse_kernel):
    # the default q35 ROM: the board requires the mptable feature
    r = boot(bios, kernel=mpparse_kernel, initrd=guest / 'initrd.cpio.gz', machine='q35',
             smp=CPUS, append='console=ttyS0 acpi=off', timeout=TIMEOUT)
    assert_found_every_cpu(r)


@pytest.mark.skipif('pc' not in registry().boards, reason='pc board not yet available')
def test_pc_machine_without_acpi_finds_every_cpu(tmp_path_factory, guest, mpparse_kernel):
    rom = build_rom(tmp_path_factory, '--board', 'pc', '--loader', 'linux',
                    '--plugin', 'mptable')
    r = boot(rom, kernel=mpparse_kernel, initrd=guest / 'initrd.cpio.gz',
             machine='pc,acpi=off', smp=CPUS, append='console=ttyS0', timeout=TIMEOUT)
    assert_found_every_cpu(r)


# -- 16-bit services under QEMU -------------------------------------------------------------

#: A test-only loader: after the handoff it enters real mode (bios16_enter_real_mode) at a
#: real-mode program in the ROM that lists the memory map through INT 15h E820h, E801h and
#: 88h, printing it with INT 10h teletype (so on the serial port), then exits QEMU through
#: isa-debug-exit (0x10: done; 0x11: an INT 15h call failed).
RMTEST_PROBE = """
.global rmtest_probe
rmtest_probe:
    call handoff
    mov esi, rmtest_block
    jmp bios16_enter_real_mode
rmtest_block:
    .word 0, 0, 0, 0xF000
    .long 0, 0, 0, 0, 0, 0, 0, 0
    .word rmtest_prog - FSEG_BASE
    .word 0xF000
    .word 0
    .word 0
    .word 0x7000
"""
RMTEST_PROG = """
.global rmtest_prog
rmtest_prog:
    xor ebx, ebx
rmt_next:
    mov ax, 0x2000
    mov es, ax
    xor di, di
    mov eax, 0xE820
    mov ecx, 24
    mov edx, 0x534D4150
    int 0x15
    jc rmt_fail
    cmp eax, 0x534D4150
    jne rmt_fail
    mov al, 0x45
    call rmt_putc
    mov eax, dword ptr es:[4]
    call rmt_hex
    mov eax, dword ptr es:[0]
    call rmt_hex
    call rmt_space
    mov eax, dword ptr es:[12]
    call rmt_hex
    mov eax, dword ptr es:[8]
    call rmt_hex
    call rmt_space
    mov eax, dword ptr es:[16]
    call rmt_hex
    call rmt_newline
    test ebx, ebx
    jnz rmt_next
    mov ax, 0xE801
    int 0x15
    jc rmt_fail
    push dx
    push cx
    push bx
    movzx eax, ax
    push ax
    mov al, 0x4D
    call rmt_putc
    pop ax
    call rmt_hex
    call rmt_space
    pop ax
    movzx eax, ax
    call rmt_hex
    call rmt_space
    pop ax
    movzx eax, ax
    call rmt_hex
    call rmt_space
    pop ax
    movzx eax, ax
    call rmt_hex
    call rmt_newline
    mov ah, 0x88
    int 0x15
    jc rmt_fail
    movzx eax, ax
    push ax
    mov al, 0x58
    call rmt_putc
    pop ax
    call rmt_hex
    call rmt_newline
    mov al, 0x10
    out 0xF4, al
rmt_fail:
    mov al, 0x11
    out 0xF4, al
rmt_hang:
    hlt
    jmp rmt_hang
rmt_hex:
    push cx
    mov cx, 8
rmt_digit:
    rol eax, 4
    push eax
    and al, 0x0F
    add al, 0x30
    cmp al, 0x39
    jbe rmt_decimal
    add al, 7
rmt_decimal:
    call rmt_putc
    pop eax
    dec cx
    jnz rmt_digit
    pop cx
    ret
rmt_space:
    mov al, 0x20
    jmp rmt_putc
rmt_newline:
    mov al, 0x0D
    call rmt_putc
    mov al, 0x0A
rmt_putc:
    mov ah, 0x0E
    int 0x10
    ret
"""


class RealModeTestLoader:
    @hookimpl
    def qboot_loaders(self):
        return [Loader(
            name="rmtest", description="test: list the memory map from real mode",
            fragments=lambda ctx: [
                Fragment(name="rmtest_probe", region="text32", source=RMTEST_PROBE),
                Fragment(name="rmtest_prog", region="fseg", bits=16, source=RMTEST_PROG)],
            probe="rmtest_probe", requires=("bios16",))]


LINUX_E820 = re.compile(r'BIOS-e820: \[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\] (.+)$', re.M)
LINUX_TYPES = {'usable': 1, 'reserved': 2, 'ACPI data': 3, 'ACPI NVS': 4, 'unusable': 5}


def merged(entries):
    """Linux sanitises the map it is given: adjacent ranges of one type become one."""
    out = []
    for base, size, kind in sorted(entries):
        if out and out[-1][2] == kind and out[-1][0] + out[-1][1] == base:
            out[-1] = (out[-1][0], out[-1][1] + size, kind)
        else:
            out.append((base, size, kind))
    return out


def test_real_mode_programs_see_the_map_linux_gets(tmp_path, guest):
    reg = build_registry(make_manager(extra=(RealModeTestLoader(),)))
    roms = {}
    for loader in ('rmtest', 'linux'):
        roms[loader] = tmp_path / f'{loader}.bin'
        write(build(Selection(board='q35', loaders=[loader], plugins=['bios16']), reg),
              roms[loader])
    r = boot(roms['rmtest'], kernel=guest / 'vmlinuz', timeout=20)
    assert r.returncode == (0x10 << 1) | 1, r.describe()
    e820 = [(int(b, 16), int(s, 16), int(t, 16)) for b, s, t in
            re.findall(r'^E([0-9A-F]{16}) ([0-9A-F]{16}) ([0-9A-F]{8})$', r.serial, re.M)]
    e801 = [int(v, 16) for v in re.search(r'^M(\w{8}) (\w{8}) (\w{8}) (\w{8})$', r.serial,
                                          re.M).groups()]
    ext = int(re.search(r'^X(\w{8})$', r.serial, re.M).group(1), 16)
    # E801h/88h: the RAM contiguous with 1 MiB, as E820h has it
    ram = next(b + s for b, s, t in e820 if t == 1 and b <= 1 << 20 < b + s)
    kb = (ram - (1 << 20)) >> 10
    assert e801 == [min(kb, 0x3C00), max(0, ram - (16 << 20)) >> 16] * 2
    assert ext == min(kb, 0xFFFF)
    # the same map as the firmware hands Linux (512 MiB: QEMU's -m default here)
    r = boot(roms['linux'], kernel=guest / 'vmlinuz', initrd=guest / 'initrd.cpio.gz',
             timeout=TIMEOUT)
    linux = [(int(a, 16), int(b, 16) + 1 - int(a, 16), LINUX_TYPES[t.strip()])
             for a, b, t in LINUX_E820.findall(r.serial)]
    assert linux and merged(e820) == linux, (e820, linux)
    assert r.report['memtotal_kb'] > 400 * 1024
