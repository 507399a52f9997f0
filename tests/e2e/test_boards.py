"""End-to-end: the pc, q35, microvm and auto boards boot Debian's cloud kernel to init under
TCG (tests/guest/init.sh reports what Linux saw), with and without the PCI walk.

Coverage: 1, 2, 4 and 8 CPUs; 128 MiB, 512 MiB and 5 GiB (RAM above 4 GiB); two levels of
pci-bridge on pc and root ports with a virtio-net and a pcie-pci-bridge on q35, each with
the walk off (the default: Linux with ACPI numbers bridges itself) and on (--plugin pci);
-M pc,acpi=off; acpi=off on the kernel command line; fw_cfg without DMA; -M pc-i440fx-2.4.
Some 20 boots of 4-8 s each.
"""
import re

import pytest

from qbootcore.build import Selection, build, write
from tests.qemu import boot

MiB = 1024          # in the kB of /proc/meminfo
TIMEOUT = 90
# Under TCG, Linux on microvm's hardware-reduced ACPI has no PIT, HPET or PM timer to
# calibrate the TSC against and hangs before the console comes up, whatever the firmware
# (QEMU's own qboot ROM too); under KVM kvmclock provides the frequency.  Give it one.
MICROVM_APPEND = 'console=ttyS0 tsc_early_khz=2000000'
# Linux's complaints about PCI set-up, in the boot log on the serial console
PCI_PROBLEM = re.compile(r'^.*\b(?i:pci)\b.*\b((?i:error|fail\w*|can\'t|cannot|conflict|'
                         r'no space|not enabled)|BUG|WARNING)\b.*$', re.M)
BRIDGE_RENUMBERED = 'bridge configuration invalid'


@pytest.fixture(scope='module')
def rom(tmp_path_factory):
    """rom(board, walk=False) -> path of a ROM with the linux loader (built once)."""
    built = {}

    def get(board, walk=False):
        key = (board, walk)
        if key not in built:
            out = tmp_path_factory.mktemp(f'{board}-{"pci" if walk else "nopci"}') / 'bios.bin'
            write(build(Selection(board=board, loaders=['linux'],
                                  plugins=['pci'] if walk else [])), out)
            built[key] = out
        return built[key]
    return get


def boot_linux(bios, guest, machine, **kw):
    if machine.split(',')[0] == 'microvm':
        kw.setdefault('append', MICROVM_APPEND)
    return boot(bios, kernel=guest / 'vmlinuz', initrd=guest / 'initrd.cpio.gz',
                machine=machine, timeout=TIMEOUT, **kw)


def assert_reached_init(r):
    assert r.report is not None, r.describe()
    assert r.done and not r.timed_out and r.returncode == 0, r.describe()
    assert r.dmesg_errors == 0, r.describe()


def pci_devices(r) -> dict[str, str]:
    """QBOOT-PCI (tests/guest/init.sh): {bdf: 'vendor:device'}."""
    m = re.search(r'^QBOOT-PCI (\S+)$', r.serial, re.M)
    assert m, r.describe()
    if m.group(1) == 'none':
        return {}
    return {e.rsplit(':', 2)[0]: ':'.join(e.rsplit(':', 2)[1:]) for e in m.group(1).split(',')}


def memory_kb(size: str) -> int:
    return int(size[:-1]) * (1024 * MiB if size.endswith('G') else MiB)


@pytest.mark.parametrize('board,machine,smp,memory', [
    ('pc', 'pc', 1, '128M'),
    ('pc', 'pc', 8, '5G'),
    ('q35', 'q35', 8, '128M'),
    ('microvm', 'microvm', 2, '512M'),
    ('microvm', 'microvm', 4, '5G'),
    ('auto', 'pc', 2, '512M'),
    ('auto', 'q35', 4, '5G'),
    ('auto', 'microvm', 1, '128M'),
])
def test_boots_to_init_with_every_cpu_and_all_ram(rom, guest, board, machine, smp, memory):
    r = boot_linux(rom(board), guest, machine, smp=smp, memory=memory)
    assert_reached_init(r)
    rep = r.report
    assert rep['cpus'] == smp, r.describe()
    # all of -m as RAM (Linux's "Memory: free/total" line counts the pages of the e820 RAM
    # it got; the legacy area below 1 MiB is the only RAM the firmware keeps), and most of
    # it free at init (the kernel takes some 30 MiB of itself at 128 MiB)
    total = re.search(r'Memory: \d+K/(\d+)K available', r.serial)
    assert total and memory_kb(memory) - 1024 <= int(total.group(1)) <= memory_kb(memory), \
        (total and total.group(0), memory)
    assert 0.65 * memory_kb(memory) <= rep['memtotal_kb'] <= memory_kb(memory), rep
    assert {'FACP', 'APIC', 'DSDT'} <= set(rep['acpi']), rep
    devices = pci_devices(r)
    if machine == 'microvm':
        assert devices == {}, r.describe()              # no PCI on microvm
    else:
        assert rep['dmi_vendor'] == 'QEMU', rep
        host = {'pc': '8086:1237', 'q35': '8086:29c0'}[machine]
        assert devices['0000:00:00.0'] == host, devices
    assert not PCI_PROBLEM.findall(r.serial), PCI_PROBLEM.findall(r.serial)


# Two levels of pci-bridge on pc: 00:05.0 -> 01:03.0 -> a virtio-rng at 02:04.0, another at
# 01:06.0.  On q35: a virtio-net behind root port 00:10.0; a pcie-pci-bridge behind root
# port 00:11.0 with a virtio-rng behind it.  Bus numbers: depth-first, as Linux numbers them.
TOPOLOGIES = {
    'pc': (['-device', 'pci-bridge,id=br1,chassis_nr=1,addr=0x5',
            '-device', 'pci-bridge,id=br2,bus=br1,chassis_nr=2,addr=0x3',
            '-device', 'virtio-rng-pci,bus=br2,addr=0x4',
            '-device', 'virtio-rng-pci,bus=br1,addr=0x6'],
           {'0000:00:05.0': '1b36:0001', '0000:01:03.0': '1b36:0001',
            '0000:02:04.0': '1af4:1005', '0000:01:06.0': '1af4:1005'}),
    'q35': (['-device', 'pcie-root-port,id=rp1,chassis=1,addr=0x10',
             '-device', 'virtio-net-pci,bus=rp1,netdev=n0', '-netdev', 'user,id=n0',
             '-device', 'pcie-root-port,id=rp2,chassis=2,addr=0x11',
             '-device', 'pcie-pci-bridge,id=ppb,bus=rp2',
             '-device', 'virtio-rng-pci,bus=ppb,addr=0x1'],
            {'0000:00:10.0': '1b36:000c', '0000:00:11.0': '1b36:000c',
             '0000:01:00.0': '1af4:1041', '0000:02:00.0': '1b36:000e',
             '0000:03:01.0': '1af4:1005'}),
}


@pytest.mark.parametrize('walk', [False, True], ids=['walk-off', 'walk-on'])
@pytest.mark.parametrize('machine', ['pc', 'q35'])
def test_every_device_behind_bridges_is_found(rom, guest, machine, walk):
    extra, expected = TOPOLOGIES[machine]
    r = boot_linux(rom(machine, walk), guest, machine, smp=2, extra=extra)
    assert_reached_init(r)
    devices = pci_devices(r)
    for bdf, ids in expected.items():
        assert devices.get(bdf) == ids, (bdf, devices)
    assert not PCI_PROBLEM.findall(r.serial), PCI_PROBLEM.findall(r.serial)
    # with the walk, Linux finds the bridges numbered; without it, it numbers them itself
    assert (BRIDGE_RENUMBERED in r.serial) == (not walk), r.describe()


@pytest.mark.parametrize('walk', [False, True], ids=['walk-off', 'walk-on'])
def test_pc_machine_without_acpi(rom, guest, walk):
    extra, expected = TOPOLOGIES['pc']
    r = boot_linux(rom('pc', walk), guest, 'pc,acpi=off', extra=extra)
    assert_reached_init(r)
    assert r.report['acpi'] == [], r.report
    devices = pci_devices(r)
    for bdf, ids in expected.items():
        assert devices.get(bdf) == ids, (bdf, devices)


@pytest.mark.parametrize('board,walk', [('q35', False), ('pc', True)])
def test_kernel_with_acpi_off(rom, guest, board, walk):
    # without an MP table (plugins/mptable) Linux may come up on one CPU: only init counts
    r = boot_linux(rom(board, walk), guest, board, smp=2,
                   append='console=ttyS0 acpi=off')
    assert_reached_init(r)
    assert r.report['acpi'] == [], r.report


@pytest.mark.parametrize('machine,extra', [
    ('pc', ['-global', 'fw_cfg_io.dma_enabled=off']),
    ('pc-i440fx-2.4', []),           # before fw_cfg DMA (2.5) and with its old defaults
])
def test_fw_cfg_without_dma_and_old_machine_types(rom, guest, machine, extra):
    r = boot_linux(rom('pc'), guest, machine, extra=extra)
    assert_reached_init(r)
    assert r.report['cpus'] == 1 and 400 * MiB <= r.report['memtotal_kb'] <= 512 * MiB
    assert 'FACP' in r.report['acpi'], r.report


def test_a_pc_rom_on_q35_names_both_machines(rom, guest):
    """A ROM for one machine on another stops with why (issue 16), not with whatever failed
    first there (fw_cfg DMA into an F-segment that the pc board never made RAM)."""
    r = boot(rom('pc'), kernel=guest / 'vmlinuz', machine='q35', timeout=10)
    expect = 'ROM for board pc, machine is q35: build with --board q35 (failed: '
    assert expect in r.debugcon and expect in r.serial, r.describe()
