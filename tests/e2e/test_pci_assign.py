"""End-to-end: PCI resource assignment (pci_assign, on in recipes/general.toml) under TCG.

* Debian's 32-bit 686 kernel, which cannot assign BARs itself under QEMU (no window left
  after it truncates the e820 range at 0xFD00000000), keeps its devices on pc and q35: no
  "failed to assign", e1000 on bus 0 and a virtio-net behind two levels of bridges bound to
  their drivers, the bridges' windows as the firmware set them.
* A 64-bit BAR too large for the 32-bit hole (ivshmem-plain, 2 GiB) lands above 4 GiB and
  Linux reads the shared memory through it.
* What the general ROM costs in device accesses with QEMU's default devices (a budget).
Three boots of 5-10 s and three stub-kernel runs.
"""
import re
import subprocess

import pytest

from qbootcore import qemu, stubkernel
from qbootcore.build import build, read_recipe, write
from tests.initrd import overlay
from tests.qemu import REPO, boot

TIMEOUT = 180
NOT_ASSIGNED = re.compile(r"^.*(failed to assign|can't assign|no space for|"
                          r"can't claim|no compatible bridge window).*$", re.M)
# the general ROM's device accesses before the stub kernel's entry, with QEMU's default
# devices (docs/performance.md, "PCI assignment"; since the recipe runs option ROMs, the
# default VGA's and NIC's ROMs make most of them: "Option ROMs"; s3 adds 2, the CMOS
# shutdown status; the recipe's real-mode Linux entry starts the BIOS timer, 8259s and
# 8254, unless an option ROM call already did); microvm has no PCI
ACCESS_BUDGET = {'q35': 1683, 'pc': 1851, 'microvm': 39}


@pytest.fixture(scope='module')
def general(tmp_path_factory):
    out = tmp_path_factory.mktemp('general') / 'bios.bin'
    write(build(read_recipe(REPO / 'recipes' / 'general.toml')), out)
    return out


@pytest.fixture(scope='module')
def guest686(guest):
    if not (guest / 'vmlinuz-686').is_file() or not (guest / 'initrd-686.cpio.gz').is_file():
        subprocess.run(['bash', str(REPO / 'tests' / 'guest' / 'build-686.sh')], check=True,
                       env={'QBOOT_FW_GUEST': str(guest), 'PATH': '/usr/sbin:/usr/bin:/sbin:/bin'})
    return guest


# e1000 on bus 0; a virtio-net behind two bridges: pc: pci-bridge 00:05.0 -> pci-bridge
# 01:03.0 -> 02:04.0; q35: root port 00:10.0 -> pcie-pci-bridge 01:00.0 -> 02:01.0
TOPOLOGIES = {
    'pc': ['-device', 'pci-bridge,id=br1,chassis_nr=1,addr=0x5',
           '-device', 'pci-bridge,id=br2,bus=br1,chassis_nr=2,addr=0x3',
           '-device', 'virtio-net-pci,bus=br2,addr=0x4,netdev=n1'],
    'q35': ['-device', 'pcie-root-port,id=rp1,chassis=1,addr=0x10',
            '-device', 'pcie-pci-bridge,id=br2,bus=rp1',
            '-device', 'virtio-net-pci,bus=br2,addr=0x1,netdev=n1'],
}
BRIDGES = {'pc': ('0000:00:05.0', '0000:01:03.0'), 'q35': ('0000:00:10.0', '0000:01:00.0')}
VIRTIO = {'pc': '0000:02:04.0', 'q35': '0000:02:01.0'}


@pytest.mark.parametrize('machine', ['pc', 'q35'])
def test_32bit_linux_keeps_its_devices(general, guest686, machine):
    extra = ['-device', 'e1000,addr=0x3,netdev=n0', '-netdev', 'user,id=n0',
             '-netdev', 'user,id=n1', *TOPOLOGIES[machine]]
    r = boot(general, kernel=guest686 / 'vmlinuz-686', initrd=guest686 / 'initrd-686.cpio.gz',
             machine=machine, extra=extra, timeout=TIMEOUT)
    assert r.done and not r.timed_out, r.describe()
    assert not NOT_ASSIGNED.findall(r.serial), NOT_ASSIGNED.findall(r.serial)
    m = re.search(r'^QBOOT-DRIVERS (\S+)$', r.serial, re.M)
    assert m, r.describe()
    drivers = dict(e.split('=') for e in m.group(1).split(','))
    assert drivers.get('0000:00:03.0') == 'e1000', drivers
    assert drivers.get(VIRTIO[machine]) == 'virtio-pci', drivers
    # both bridges forward memory and I/O: Linux reads the windows the firmware set
    for bridge in BRIDGES[machine]:
        for kind in ('io ', 'mem'):
            assert re.search(rf'pci {bridge}:\s+bridge window \[{kind}\s*0x', r.serial), \
                (bridge, kind, r.describe())


IVSHMEM_INIT = r'''#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
dmesg -n 1
for d in /sys/bus/pci/devices/*; do
    [ "$(cat $d/vendor):$(cat $d/device)" = 0x1af4:0x1110 ] || continue
    start=$(sed -n 3p $d/resource | cut -d' ' -f1)
    # /dev/mem's read() stops at the end of RAM; devmem maps it
    echo "QBOOT-IVSHMEM ${d##*/} $start $(devmem $start 64) $(devmem $((start + 8)) 64)"
done
echo QBOOT-DONE
poweroff -f
'''
MARKER = b'qboot-fw-ivshmem'
MARKER_QWORDS = ' '.join(f'0x{int.from_bytes(MARKER[i:i + 8], "little"):016X}' for i in (0, 8))


def test_large_64bit_bar_goes_above_4g(general, guest, tmp_path):
    shared = tmp_path / 'shared'
    with open(shared, 'wb') as f:          # sparse: 2 GiB, the marker at its start
        f.write(MARKER)
        f.truncate(2 << 30)
    initrd = overlay(guest / 'initrd.cpio.gz', {'init': IVSHMEM_INIT}, tmp_path / 'initrd')
    r = boot(general, kernel=guest / 'vmlinuz', initrd=initrd, machine='q35', extra=[
        '-object', f'memory-backend-file,id=hm,size=2G,share=on,mem-path={shared}',
        '-device', 'ivshmem-plain,memdev=hm,addr=0x4'], timeout=TIMEOUT)
    assert r.done and not r.timed_out, r.describe()
    m = re.search(r'^QBOOT-IVSHMEM (\S+) (0x[0-9a-f]+) (.*)$', r.serial, re.M)
    assert m, r.describe()
    assert int(m.group(2), 16) >= 1 << 32, m.group(0)
    assert m.group(3).strip() == MARKER_QWORDS, m.group(0)
    # found there by Linux (the firmware's address), not moved
    assert re.search(rf'pci 0000:00:04.0: BAR 2 \[mem {int(m.group(2), 16):#x}-0x[0-9a-f]+ 64bit pref\]',
                     r.serial), r.describe()
    assert not NOT_ASSIGNED.findall(r.serial), NOT_ASSIGNED.findall(r.serial)


@pytest.fixture(scope='module')
def stub(tmp_path_factory):
    return stubkernel.write_stub_bzimage(tmp_path_factory.mktemp('stub') / 'bzImage')


@pytest.mark.parametrize('machine', sorted(ACCESS_BUDGET))
def test_general_rom_access_budget(general, stub, machine, tmp_path):
    run, accesses = qemu.traced_run(qemu.stub_command(machine, general, stub),
                                    tmp_path / 'trace.log')
    assert run.entry == 'real-mode', run.failure()   # the recipe's Linux entry
    assert accesses is not None, "QEMU wrote no trace: it lacks the 'log' trace backend"
    assert len(accesses) <= ACCESS_BUDGET[machine], len(accesses)
