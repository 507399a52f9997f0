#!/bin/bash
# Add to the test-guest cache (${QBOOT_FW_GUEST:-tests/guest/cache}, made by build.sh) a BIOS
# disk image that boots the test kernel with GRUB, for the real-mode e2e tests (MEMDISK,
# BIOS disks):
#   grub.img   MBR with GRUB's boot.img, GRUB's core.img in the sectors after it (i386-pc,
#              modules biosdisk, part_msdos, ext2, normal, serial, linux), and one ext2
#              partition from 1 MiB with /vmlinuz, /initrd.cpio.gz, /boot/grub/grub.cfg
#              (serial console, boots the first entry at once) and GRUB's modules
# Made without root or loop devices: sfdisk on a plain file, mke2fs -d, dd.  Needs
# grub-pc-bin, e2fsprogs, fdisk (sfdisk).  Idempotent: skipped when grub.stamp matches the
# kernel, the initrd and GRUB's version.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${QBOOT_FW_GUEST:-$HERE/cache}
[ -f "$CACHE/kernel.stamp" ] || bash "$HERE/build.sh"
CACHE=$(cd "$CACHE" && pwd)
log() { echo "guest: $*"; }

GRUB_DIR=/usr/lib/grub/i386-pc
for tool in grub-mkimage sfdisk mke2fs; do
    command -v "$tool" >/dev/null || PATH=$PATH:/usr/sbin:/sbin
    command -v "$tool" >/dev/null ||
        { echo "guest: $tool is missing: apt-get install grub-pc-bin e2fsprogs fdisk" >&2; exit 1; }
done
[ -f "$GRUB_DIR/boot.img" ] ||
    { echo "guest: $GRUB_DIR/boot.img is missing: apt-get install grub-pc-bin" >&2; exit 1; }

grub_version=$(dpkg-query -W -f '${Version}' grub-pc-bin 2>/dev/null || grub-mkimage --version)
stamp="$(cat "$CACHE/kernel.stamp") $(cat "$CACHE/initrd.stamp") grub $grub_version $(sha256sum < "$0" | cut -c1-16)"
if [ -f "$CACHE/grub.img" ] && [ "$(cat "$CACHE/grub.stamp" 2>/dev/null)" = "$stamp" ]; then
    exit 0
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# the partition's files
ROOT=$TMP/root
mkdir -p "$ROOT/boot/grub/i386-pc"
cp "$CACHE/vmlinuz" "$CACHE/initrd.cpio.gz" "$ROOT/"
cp "$GRUB_DIR"/*.mod "$GRUB_DIR"/*.lst "$ROOT/boot/grub/i386-pc/"
cat > "$ROOT/boot/grub/grub.cfg" <<'EOF'
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set timeout=0
echo "grub: booting the test kernel"
menuentry "test kernel" {
    linux /vmlinuz console=ttyS0 panic=-1
    initrd /initrd.cpio.gz
}
EOF

# GRUB's core: found by boot.img at LBA 1 (its kernel_sector default), the rest of it by
# diskboot.img's block list (grub-mkimage fills in the length; the start defaults to LBA 2)
grub-mkimage -O i386-pc -o "$TMP/core.img" -p '(hd0,msdos1)/boot/grub' \
    biosdisk part_msdos ext2 normal serial terminal linux configfile echo
core_sectors=$(( ($(stat -c %s "$TMP/core.img") + 511) / 512 ))
PART_START=2048                    # sectors: 1 MiB, after the MBR and core.img
[ "$core_sectors" -lt "$PART_START" ] || { echo "guest: core.img too large" >&2; exit 1; }

# ext2 partition: the files plus 4 MiB of room
kib=$(( $(du -sk "$ROOT" | cut -f1) + 4096 ))
mke2fs -q -t ext2 -L qboot-grub -d "$ROOT" "$TMP/part.img" "${kib}k"

IMG=$TMP/grub.img
truncate -s $(( PART_START * 512 + kib * 1024 )) "$IMG"
echo "start=$PART_START, type=83, bootable" | sfdisk -q --label dos "$IMG" >/dev/null
# boot.img's code, not its partition table (bytes 440-511: disk signature, table, 55AAh)
dd if="$GRUB_DIR/boot.img" of="$IMG" bs=440 count=1 conv=notrunc status=none
dd if="$TMP/core.img" of="$IMG" bs=512 seek=1 conv=notrunc status=none
dd if="$TMP/part.img" of="$IMG" bs=512 seek=$PART_START conv=notrunc status=none

mv "$IMG" "$CACHE/grub.img"
echo "$stamp" > "$CACHE/grub.stamp"
log "GRUB disk image: $(( $(stat -c %s "$CACHE/grub.img") >> 20 )) MiB, grub $grub_version"
