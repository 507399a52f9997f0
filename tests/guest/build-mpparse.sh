#!/bin/bash
# Add to the test-guest cache (${QBOOT_FW_GUEST:-tests/guest/cache}, made by build.sh) a
# kernel that reads MP tables, for tests/e2e/test_tables.py:
#   vmlinuz-mpparse, config-mpparse   Debian's generic kernel of the same version as the
#                                     cloud kernel in vmlinuz
# Debian's cloud kernel is built without CONFIG_X86_MPPARSE, so with acpi=off it never looks
# for an MP table; the generic flavour has it and boots the same initramfs (no modules
# needed).  Idempotent: skipped when mpparse.stamp names the cloud kernel's version.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${QBOOT_FW_GUEST:-$HERE/cache}
[ -f "$CACHE/kernel.stamp" ] || bash "$HERE/build.sh"
CACHE=$(cd "$CACHE" && pwd)
log() { echo "guest: $*"; }

# kernel.stamp: "linux-image-<abi>-cloud-amd64[-unsigned] <version>"
read -r cloud version < "$CACHE/kernel.stamp"
pkg=${cloud/-cloud-amd64/-amd64}
pkg=${pkg%-unsigned}-unsigned
if [ -f "$CACHE/mpparse.stamp" ] && [ "$(cat "$CACHE/mpparse.stamp")" = "$pkg $version" ]; then
    exit 0
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/dl" && chmod 755 "$TMP" "$TMP/dl"
id _apt >/dev/null 2>&1 && chown _apt "$TMP/dl" || true
download() {
    (cd "$TMP/dl" && apt-get download -q "$pkg=$version" 2>&1 |
        grep -v "couldn't be accessed by user '_apt'" || true)
    ls "$TMP/dl/${pkg}"_*.deb >/dev/null 2>&1
}
log "downloading $pkg $version"
if ! download; then
    [ "$(id -u)" = 0 ] && { log "apt-get update"; apt-get update -qq; }
    download || { echo "guest: cannot download $pkg $version" >&2; exit 1; }
fi
deb=("$TMP/dl/${pkg}"_*.deb)
dpkg-deb --fsys-tarfile "${deb[0]}" | tar -x -C "$TMP" --wildcards './boot/*'
grep -qx 'CONFIG_X86_MPPARSE=y' "$TMP"/boot/config-* ||
    { echo "guest: $pkg is built without CONFIG_X86_MPPARSE" >&2; exit 1; }
cp "$TMP"/boot/vmlinuz-* "$CACHE/vmlinuz-mpparse"
cp "$TMP"/boot/config-* "$CACHE/config-mpparse"
echo "$pkg $version" > "$CACHE/mpparse.stamp"
log "kernel with MP table support: $pkg $version"
