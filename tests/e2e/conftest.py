"""Fixtures for the end-to-end tests: the test guest and the firmware under test.

`bios` is $QBOOT_FW_TEST_BIOS when set (e.g. /usr/share/seabios/bios-256k.bin to
check the test infrastructure itself), else our ROM built by `qboot-fw build`.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.qemu import REPO, guest_dir


@pytest.fixture(scope='session')
def guest() -> Path:
    try:
        return guest_dir()
    except FileNotFoundError:
        subprocess.run(['bash', str(REPO / 'tests' / 'guest' / 'build.sh')], check=True)
        return guest_dir()


@pytest.fixture(scope='session')
def grub_image(guest) -> Path:
    """A BIOS disk image on which GRUB (i386-pc, serial console) boots the test kernel and
    initrd at once (tests/guest/build-grub.sh, made in the guest cache on first use)."""
    subprocess.run(['bash', str(REPO / 'tests' / 'guest' / 'build-grub.sh')], check=True,
                   env={**os.environ, 'QBOOT_FW_GUEST': str(guest)})
    return guest / 'grub.img'


@pytest.fixture(scope='session')
def bios(tmp_path_factory) -> Path:
    if os.environ.get('QBOOT_FW_TEST_BIOS'):
        return Path(os.environ['QBOOT_FW_TEST_BIOS'])
    venv_cli = Path(sys.executable).parent / 'qboot-fw'
    cli = str(venv_cli) if venv_cli.exists() else shutil.which('qboot-fw')
    if not cli:
        pytest.fail('qboot-fw is not installed: run scripts/setup.sh')
    out = tmp_path_factory.mktemp('rom') / 'bios.bin'
    proc = subprocess.run([cli, 'build', '--board', 'q35', '--loader', 'linux', '-o', str(out)],
                          cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0 or not out.is_file():
        pytest.fail(f'qboot-fw build failed (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}')
    return out
