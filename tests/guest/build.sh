#!/bin/bash
# Build the end-to-end test guest into ${QBOOT_FW_GUEST:-tests/guest/cache}:
#   vmlinuz, config, lib/modules/  Debian's cloud kernel (linux-image-cloud-amd64)
#   initrd.cpio.gz                 busybox-static initramfs whose /init is init.sh
#   initrd-big.cpio, big.sha256    the same plus /big.bin (96 MiB), uncompressed
#   vmlinux                        the kernel ELF inside vmlinuz (its payload is LZ4), for PVH
#   initrd-pmem.cpio.gz            initrd.cpio.gz plus the kernel's pmem modules, whose /init
#                                  (init-pmem.sh) loads them before the standard report
# Idempotent: each part is skipped when its stamp says it is already built.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${QBOOT_FW_GUEST:-$HERE/cache}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
echo '*' > "$CACHE/.gitignore"          # the cache is never committed
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
log() { echo "guest: $*"; }

# apt-get download writes into the current directory, ideally as user _apt
apt_download() {
    (cd "$TMP/dl" && apt-get download -q "$@" 2>&1 | grep -v "couldn't be accessed by user '_apt'" || true)
    ls "$TMP/dl/$1"_*.deb >/dev/null 2>&1
}
fetch_deb() {  # fetch_deb PKG: download PKG's .deb, refreshing apt lists once if needed
    apt_download "$1" && return
    [ "$(id -u)" = 0 ] && { log "apt-get update"; apt-get update -qq; }
    apt_download "$1" || { echo "guest: cannot download $1" >&2; exit 1; }
}

build_kernel() {
    mkdir -p "$TMP/dl" && chmod 755 "$TMP" "$TMP/dl"
    id _apt >/dev/null 2>&1 && chown _apt "$TMP/dl" || true
    log "downloading linux-image-cloud-amd64"
    fetch_deb linux-image-cloud-amd64
    local dep
    dep=$(dpkg-deb -f "$TMP"/dl/linux-image-cloud-amd64_*.deb Depends |
          tr ',|' '\n\n' | grep -oE 'linux-image-[^ ]+-cloud-amd64(-unsigned)?' | head -n1)
    log "downloading $dep"
    fetch_deb "$dep"
    local deb=("$TMP/dl/${dep}"_*.deb)
    dpkg-deb -x "${deb[0]}" "$TMP/root"
    rm -rf "$CACHE/lib/modules"
    mkdir -p "$CACHE/lib"
    mv "$TMP/root/lib/modules" "$CACHE/lib/modules"
    cp "$TMP"/root/boot/vmlinuz-* "$CACHE/vmlinuz"
    cp "$TMP"/root/boot/config-* "$CACHE/config"
    echo "$dep $(dpkg-deb -f "${deb[0]}" Version)" > "$CACHE/kernel.stamp"
    log "kernel: $(cat "$CACHE/kernel.stamp")"
}

build_initrds() {
    local root=$TMP/initrd
    mkdir -p "$root"/{bin,dev,proc,sys,tmp}
    cp /bin/busybox "$root/bin/busybox"
    for app in $("$root/bin/busybox" --list); do
        [ "$app" = busybox ] || ln -s busybox "$root/bin/$app"
    done
    install -m 755 "$HERE/init.sh" "$root/init"
    mkcpio() {  # reproducible newc archive of $root on stdout
        find "$root" -exec touch -h -d @0 {} +
        (cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible -R 0:0)
    }
    log "initrd.cpio.gz"
    mkcpio | gzip -9n > "$CACHE/initrd.cpio.gz"
    log "initrd-big.cpio (96 MiB /big.bin)"
    python3 -c 'import random, sys; sys.stdout.buffer.write(random.Random(1).randbytes(96 << 20))' > "$root/big.bin"
    sha256sum "$root/big.bin" | cut -d' ' -f1 > "$CACHE/big.sha256"
    mkcpio > "$CACHE/initrd-big.cpio"
    rm "$root/big.bin"
    log "initrd-pmem.cpio.gz (persistent-memory modules)"
    mv "$root/init" "$root/init-report"
    install -m 755 "$HERE/init-pmem.sh" "$root/init"
    mkdir -p "$root/lib/modules/qboot"
    for m in libnvdimm nd_btt nd_pmem nd_e820; do
        cp "$CACHE"/lib/modules/*/kernel/drivers/nvdimm/$m.ko "$root/lib/modules/qboot/"
    done
    cp "$CACHE"/lib/modules/*/kernel/drivers/acpi/nfit/nfit.ko "$root/lib/modules/qboot/"
    mkcpio | gzip -9n > "$CACHE/initrd-pmem.cpio.gz"
    echo "$initrd_recipe" > "$CACHE/initrd.stamp"
}

if [ -f "$CACHE/kernel.stamp" ] && [ -f "$CACHE/vmlinuz" ] && [ -d "$CACHE/lib/modules" ]; then
    log "kernel up to date ($(cat "$CACHE/kernel.stamp"))"
else
    build_kernel
fi
# vmlinux: the bzImage's payload is an LZ4 legacy frame (magic 02 21 4c 18) ending in a
# trailer lz4 complains about; what it decompressed before that is the whole ELF
if [ ! -s "$CACHE/vmlinux" ] || [ "$CACHE/vmlinuz" -nt "$CACHE/vmlinux" ]; then
    log "extracting vmlinux"
    offset=$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read().find(bytes.fromhex("02214c18")))' "$CACHE/vmlinuz")
    [ "$offset" -ge 0 ] || { echo "guest: no LZ4 payload in vmlinuz" >&2; exit 1; }
    tail -c +$((offset + 1)) "$CACHE/vmlinuz" | lz4 -dc > "$TMP/vmlinux" 2>/dev/null || true
    [ "$(head -c 4 "$TMP/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] ||
        { echo "guest: extracting vmlinux failed" >&2; exit 1; }
    mv "$TMP/vmlinux" "$CACHE/vmlinux"
fi
# the initrds are rebuilt whenever this script, init.sh or busybox change
initrd_recipe=$(cat "${BASH_SOURCE[0]}" "$HERE/init.sh" "$HERE/init-pmem.sh" /bin/busybox | sha256sum | cut -d' ' -f1)
if [ "$(cat "$CACHE/initrd.stamp" 2>/dev/null)" = "$initrd_recipe" ] &&
   [ -f "$CACHE/initrd.cpio.gz" ] && [ -f "$CACHE/initrd-big.cpio" ] &&
   [ -f "$CACHE/initrd-pmem.cpio.gz" ]; then
    log "initrds up to date"
else
    build_initrds
fi
log "ready in $CACHE"
