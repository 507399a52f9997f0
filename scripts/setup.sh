#!/bin/bash
# Idempotent set-up of a fresh Debian machine for building and testing qboot-fw:
# Debian packages, the .venv with the project and its test extra, the test guest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log() { echo "setup: $*"; }

SUDO=
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "setup: run as root (no sudo here)" >&2; exit 1; }
    SUDO=sudo
fi
apt_install() {
    log "apt-get install $*"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
}

PKGS=(qemu-system-x86 binutils busybox-static cpio lz4 python3-venv
      grub-pc-bin e2fsprogs fdisk ipxe syslinux-common)
missing=()
for p in "${PKGS[@]}"; do
    dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "apt-get update"
    $SUDO apt-get update -q >/dev/null
    apt_install "${PKGS[@]}"
else
    log "Debian packages present"
fi

if [ ! -x .venv/bin/python ]; then
    log "creating .venv"
    if ! python3 -m venv .venv; then
        rm -rf .venv
        apt_install python3-venv
        python3 -m venv .venv
    fi
fi
echo '*' > .venv/.gitignore         # never committed

# reinstall only when pyproject.toml changed since the last install
if [ -f pyproject.toml ]; then
    stamp=$(cat pyproject.toml setup.py | sha256sum | cut -d' ' -f1)
    if [ "$(cat .venv/.qboot-fw-installed 2>/dev/null)" != "$stamp" ]; then
        log "pip install -e '.[test]'"
        .venv/bin/pip install -q -e '.[test]'
        echo "$stamp" > .venv/.qboot-fw-installed
    else
        log "python packages up to date"
    fi
else
    log "no pyproject.toml yet: installing pytest only"
    .venv/bin/pip install -q pytest
fi

log "building the test guest"
bash tests/guest/build.sh
# the 32-bit guest (tests/e2e/test_pci_assign.py) comes from Debian's i386 archive
if ! dpkg --print-foreign-architectures | grep -qx i386; then
    log "dpkg --add-architecture i386; apt-get update"
    $SUDO dpkg --add-architecture i386
    $SUDO apt-get update -q >/dev/null
fi
bash tests/guest/build-686.sh
bash tests/guest/build-grub.sh
