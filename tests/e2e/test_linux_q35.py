"""End-to-end: boot Debian's cloud kernel + a busybox initrd on `-M q35` under TCG
with the firmware under test, and check what Linux saw (tests/guest/init.sh)."""
import hashlib

import pytest

from tests.qemu import boot

MiB = 1024          # in the kB of /proc/meminfo
TIMEOUT = 60        # a TCG boot to init takes 4-9 s on 2 cores


def boot_linux(bios, guest, initrd='initrd.cpio.gz', **kw):
    return boot(bios, kernel=guest / 'vmlinuz', initrd=guest / initrd, timeout=TIMEOUT, **kw)


def assert_reached_init(r):
    assert r.report is not None, r.describe()
    assert r.done and not r.timed_out and r.returncode == 0, r.describe()


@pytest.mark.parametrize('smp', [1, 4])
def test_boots_to_init(bios, guest, smp):
    r = boot_linux(bios, guest, smp=smp, memory='512M')
    assert_reached_init(r)
    rep = r.report
    assert rep['cpus'] == smp, r.describe()
    assert 400 * MiB <= rep['memtotal_kb'] <= 512 * MiB, rep
    assert {'FACP', 'APIC', 'MCFG', 'DSDT'} <= set(rep['acpi']), rep
    assert rep['dmi_vendor'] == 'QEMU', rep
    assert rep['cmdline_len'] == len('console=ttyS0'), rep
    assert r.dmesg_errors == 0, r.describe()


def test_big_initrd_arrives_intact(bios, guest):
    r = boot_linux(bios, guest, initrd='initrd-big.cpio')
    assert_reached_init(r)
    assert r.big_sha256 == (guest / 'big.sha256').read_text().strip(), r.describe()


def test_long_command_line_arrives_intact(bios, guest):
    cmdline = 'console=ttyS0 qbootpad='
    cmdline += 'x' * (2000 - len(cmdline))
    assert len(cmdline) == 2000
    r = boot_linux(bios, guest, append=cmdline)
    assert_reached_init(r)
    assert r.report['cmdline_len'] == 2000, r.report
    assert r.report['cmdline_sha256'] == hashlib.sha256(cmdline.encode()).hexdigest()


def test_vmgenid_boots(bios, guest):
    r = boot_linux(bios, guest, extra=('-device', 'vmgenid'))
    assert_reached_init(r)
    assert 'SSDT' in r.report['acpi'], r.report   # QEMU describes the VMGENID device in an SSDT


def test_no_kernel_panics_readably(bios):
    r = boot(bios, timeout=10)      # no -kernel: the ROM must say so and not hang silently
    assert 'no kernel' in r.serial.lower(), r.describe()
    assert 'no kernel' in r.debugcon.lower(), r.describe()
