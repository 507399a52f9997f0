#!/bin/sh
# /init of initrd-pmem.cpio.gz: load the persistent-memory modules of the test kernel,
# report /dev/pmem0 (size, the marker an earlier boot left), write the marker given as
# qboot_marker=... on the kernel command line, then run the standard report (init.sh).
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
dmesg -n 1
for m in libnvdimm nd_btt nd_pmem nfit nd_e820; do
    insmod "/lib/modules/qboot/$m.ko" 2>/dev/null
done
i=0
while [ ! -b /dev/pmem0 ] && [ $i -lt 10 ]; do sleep 1; i=$((i + 1)); done
if [ -b /dev/pmem0 ]; then
    bytes=$(( $(cat /sys/block/pmem0/size) * 512 ))
    old=$(dd if=/dev/pmem0 bs=64 count=1 2>/dev/null | tr -d '\000' | tr -c 'A-Za-z0-9_=-' '_')
    driver=$(basename "$(readlink /sys/block/pmem0/device/driver 2>/dev/null)")
    echo "QBOOT-PMEM dev=pmem0 bytes=$bytes driver=$driver old=${old:-none}"
    marker=$(sed -n 's/.*qboot_marker=\([A-Za-z0-9_-]*\).*/\1/p' /proc/cmdline)
    if [ -n "$marker" ]; then
        printf '%s' "$marker" | dd of=/dev/pmem0 conv=notrunc 2>/dev/null
        sync
    fi
else
    echo "QBOOT-PMEM none"
fi
umount /dev /sys /proc 2>/dev/null
exec /init-report
