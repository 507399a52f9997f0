#!/bin/bash
# Build the 32-bit test guest into ${QBOOT_FW_GUEST:-tests/guest/cache}, next to the
# 64-bit one (build.sh):
#   vmlinuz-686          Debian's 686 kernel (linux-image-686, i386, non-PAE)
#   initrd-686.cpio.gz   i386 busybox-static initramfs with the kernel's e1000 and virtio
#                        modules, whose /init (init-686.sh) loads them, reports the driver
#                        of every PCI function, then runs the standard report (init.sh)
# Needs the i386 architecture in dpkg (scripts/setup.sh adds it).  Idempotent: skipped
# when its stamp says it is built.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${QBOOT_FW_GUEST:-$HERE/cache}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
log() { echo "guest-686: $*"; }
# modules in load order (dependencies first)
MODULES="drivers/net/ethernet/intel/e1000/e1000 drivers/virtio/virtio
drivers/virtio/virtio_ring drivers/virtio/virtio_pci_modern_dev
drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci net/core/failover
drivers/net/net_failover drivers/net/virtio_net drivers/char/hw_random/virtio-rng"

recipe=$(cat "${BASH_SOURCE[0]}" "$HERE/init.sh" "$HERE/init-686.sh" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$CACHE/686.stamp" 2>/dev/null)" = "$recipe" ] && [ -f "$CACHE/vmlinuz-686" ] &&
   [ -f "$CACHE/initrd-686.cpio.gz" ]; then
    log "up to date"
    exit 0
fi

mkdir -p "$TMP/dl" && chmod 755 "$TMP" "$TMP/dl"
id _apt >/dev/null 2>&1 && chown _apt "$TMP/dl" || true
apt_download() {
    (cd "$TMP/dl" && apt-get download -q "$@" 2>&1 | grep -v "couldn't be accessed by user '_apt'" || true)
    ls "$TMP/dl/${1%%:*}"_*.deb >/dev/null 2>&1
}
fetch_deb() {  # fetch_deb PKG: download PKG's .deb, refreshing apt lists once if needed
    apt_download "$1" && return
    [ "$(id -u)" = 0 ] && { log "apt-get update"; flock /tmp/apt.lock apt-get update -qq; }
    apt_download "$1" || { echo "guest-686: cannot download $1" >&2; exit 1; }
}
log "downloading linux-image-686 and busybox-static (i386)"
fetch_deb linux-image-686:i386
dep=$(dpkg-deb -f "$TMP"/dl/linux-image-686_*.deb Depends |
      tr ',|' '\n\n' | grep -oE 'linux-image-[^ ]+-686(-unsigned)?' | head -n1)
log "downloading $dep"
fetch_deb "$dep:i386"
fetch_deb busybox-static:i386
deb=("$TMP/dl/${dep}"_*.deb)
dpkg-deb -x "${deb[0]}" "$TMP/kernel"
dpkg-deb -x "$TMP"/dl/busybox-static_*.deb "$TMP/busybox"

root=$TMP/initrd
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/modules/qboot}
cp "$TMP/busybox/bin/busybox" "$root/bin/busybox"
for app in $(/bin/busybox --list); do     # the host's busybox lists the same applets
    [ "$app" = busybox ] || ln -s busybox "$root/bin/$app"
done
install -m 755 "$HERE/init-686.sh" "$root/init"
install -m 755 "$HERE/init.sh" "$root/init-report"
for m in $MODULES; do
    cp "$TMP"/kernel/lib/modules/*/kernel/$m.ko "$root/lib/modules/qboot/"
    basename "$m" >> "$root/lib/modules/qboot/order"
done
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible -R 0:0) |
    gzip -9n > "$CACHE/initrd-686.cpio.gz"
cp "$TMP"/kernel/boot/vmlinuz-* "$CACHE/vmlinuz-686"
echo "$recipe" > "$CACHE/686.stamp"
log "kernel: $dep $(dpkg-deb -f "${deb[0]}" Version); ready in $CACHE"
