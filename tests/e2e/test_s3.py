"""End-to-end: ACPI S3 resume (the s3 feature, on in recipes/general.toml) under TCG.

* Linux suspends to RAM (its /init: `echo mem > /sys/power/state` with the RTC wake alarm
  3 s ahead) on q35 (64-bit cloud kernel) and pc (32-bit 686 kernel), and a process it
  started before is still running afterwards, counting on from where it was: the firmware
  jumped to Linux's waking vector rather than booting it again.
* Our own test kernel (tests/s3kernel.py) checks that the waking vector is entered in the
  mode its FACS asks for: real mode at CS = vector >> 4, or 32-bit flat protected mode for
  the X vector; woken through QMP `system_wakeup`.
Without the feature a wake is a cold boot: /init runs again and never prints "resumed" (the
checks fail; not run here, as that guest never stops by itself).  Five boots of 3-10 s.
"""
import json
import re
import socket
import threading
import time

import pytest

from qbootcore.build import build, read_recipe, write
from tests.initrd import overlay
from tests.qemu import REPO, boot
from tests.s3kernel import EXIT_FLAT32, EXIT_REAL, s3_kernel

TIMEOUT = 120
S3_INIT = r'''#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
( i=0; while :; do i=$((i + 1)); echo $i > /tmp/count; usleep 100000; done ) &
pid=$!
sleep 1
echo "QBOOT-S3 before count=$(cat /tmp/count)"
echo 0 > /sys/class/rtc/rtc0/wakealarm
echo +3 > /sys/class/rtc/rtc0/wakealarm
echo mem > /sys/power/state
echo "QBOOT-S3 resumed alive=$(kill -0 $pid 2>/dev/null && echo yes || echo no) count=$(cat /tmp/count)"
sleep 1
echo "QBOOT-S3 after count=$(cat /tmp/count)"
echo QBOOT-DONE
poweroff -f
'''


@pytest.fixture(scope='module')
def general(tmp_path_factory):
    out = tmp_path_factory.mktemp('general') / 'bios.bin'
    write(build(read_recipe(REPO / 'recipes' / 'general.toml')), out)
    return out


def suspend_linux(bios, kernel, base_initrd, machine, tmp_path):
    initrd = overlay(base_initrd, {'init': S3_INIT}, tmp_path / 'initrd')
    return boot(bios, kernel=kernel, initrd=initrd, machine=machine, timeout=TIMEOUT)


@pytest.mark.parametrize('machine,kernel,initrd', [
    ('q35', 'vmlinuz', 'initrd.cpio.gz'),
    ('pc', 'vmlinuz-686', 'initrd-686.cpio.gz'),
])
def test_linux_resumes_with_its_processes(general, guest, machine, kernel, initrd, tmp_path):
    if not (guest / kernel).is_file():
        pytest.skip(f'{kernel} not built: run tests/guest/build-686.sh')
    r = suspend_linux(general, guest / kernel, guest / initrd, machine, tmp_path)
    assert r.done and not r.timed_out, r.describe()
    before = re.findall(r'^QBOOT-S3 before count=(\d+)$', r.serial, re.M)
    assert len(before) == 1, r.describe()                  # one boot, not two
    assert 'Waking up from system sleep state S3' in r.serial, r.describe()
    m = re.search(r'^QBOOT-S3 resumed alive=(\w+) count=(\d+)$', r.serial, re.M)
    after = re.search(r'^QBOOT-S3 after count=(\d+)$', r.serial, re.M)
    assert m and after, r.describe()
    assert m.group(1) == 'yes', r.describe()
    assert int(before[0]) <= int(m.group(2)) < int(after.group(1)), r.describe()
    assert 'panic' not in r.debugcon, r.debugcon


def wake_when_suspended(path, stop):
    """QMP: wait for the guest to suspend, then `system_wakeup` (once).  QEMU may exit
    before it answers (the woken test kernel exits at once): that ends the thread too."""
    try:
        _wake_when_suspended(path, stop)
    except (OSError, ValueError):
        pass


def _wake_when_suspended(path, stop):
    deadline = time.monotonic() + TIMEOUT
    while not path.exists() and time.monotonic() < deadline and not stop.is_set():
        time.sleep(0.1)
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(path))
        f = s.makefile('rw')
        f.readline()                                        # greeting

        def command(name):
            f.write(json.dumps({'execute': name}) + '\n')
            f.flush()
            while True:
                reply = json.loads(f.readline())
                if 'event' not in reply:
                    return reply
        command('qmp_capabilities')
        while time.monotonic() < deadline and not stop.is_set():
            if command('query-status')['return']['status'] == 'suspended':
                command('system_wakeup')
                return
            time.sleep(0.2)


@pytest.mark.parametrize('machine', ['q35', 'pc'])
@pytest.mark.parametrize('mode,code', [('real', EXIT_REAL), ('32', EXIT_FLAT32)])
def test_waking_vector_entered_in_the_mode_the_facs_asks(general, machine, mode, code,
                                                         tmp_path):
    if (machine, mode) == ('pc', '32'):
        pytest.skip('one machine suffices for the X vector')    # keep the suite lean
    kernel = tmp_path / 'kernel'
    kernel.write_bytes(s3_kernel(mode))
    qmp = tmp_path / 'qmp.sock'
    stop = threading.Event()
    waker = threading.Thread(target=wake_when_suspended, args=(qmp, stop), daemon=True)
    waker.start()
    try:
        r = boot(general, kernel=kernel, append=None, machine=machine, timeout=TIMEOUT,
                 extra=['-qmp', f'unix:{qmp},server=on,wait=off'])
    finally:
        stop.set()
        waker.join(5)
    assert 'S3K-SUSPEND' in r.serial, r.describe()
    assert r.returncode == (code << 1) | 1, r.describe()
