#!/bin/bash
# Add to the test-guest cache (${QBOOT_FW_GUEST:-tests/guest/cache}, made by build.sh) a BIOS
# disk image that boots the test kernel with GRUB, for the real-mode e2e tests (MEMDISK,
# BIOS disks):
#   grub.img   MBR with GRUB's boot.img, GRUB's core.img in the sectors after it (i386-pc,
#              with an embedded configuration: serial console, "grub: booting the test
#              kernel", then the kernel and initrd of partition 1), and one ext2 partition
#              from 1 MiB with /vmlinuz and /initrd.img
# Made by tests/grubdisk.py (the project's one GRUB disk builder, also the disk bench's),
# without root or loop devices.  Needs grub-pc-bin, e2fsprogs, fdisk (sfdisk).  Idempotent: skipped when grub.stamp matches the
# kernel, the initrd and GRUB's version.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${QBOOT_FW_GUEST:-$HERE/cache}
[ -f "$CACHE/kernel.stamp" ] || bash "$HERE/build.sh"
CACHE=$(cd "$CACHE" && pwd)
log() { echo "guest: $*"; }

# (grubdisk.py names a missing grub-mkimage, sfdisk or mke2fs)
GRUB_DIR=/usr/lib/grub/i386-pc
[ -f "$GRUB_DIR/boot.img" ] ||
    { echo "guest: $GRUB_DIR/boot.img is missing: apt-get install grub-pc-bin" >&2; exit 1; }

grub_version=$(dpkg-query -W -f '${Version}' grub-pc-bin 2>/dev/null || grub-mkimage --version)
stamp="$(cat "$CACHE/kernel.stamp") $(cat "$CACHE/initrd.stamp") grub $grub_version $(cat "$0" "$HERE/../grubdisk.py" | sha256sum | cut -c1-16)"
if [ -f "$CACHE/grub.img" ] && [ "$(cat "$CACHE/grub.stamp" 2>/dev/null)" = "$stamp" ]; then
    exit 0
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

IMG=$TMP/grub.img
python3 "$HERE/../grubdisk.py" "$IMG" "$CACHE/vmlinuz" "$CACHE/initrd.cpio.gz" \
    --append 'console=ttyS0 panic=-1' --message 'grub: booting the test kernel'
mv "$IMG" "$CACHE/grub.img"
echo "$stamp" > "$CACHE/grub.stamp"
log "GRUB disk image: $(( $(stat -c %s "$CACHE/grub.img") >> 20 )) MiB, grub $grub_version"
