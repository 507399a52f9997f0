#!/bin/sh
# /init of initrd-686.cpio.gz (tests/guest/build-686.sh): load the 32-bit test kernel's
# e1000 and virtio modules, report which driver each PCI function got, then run the
# standard report (init.sh).
mount -t proc proc /proc
mount -t sysfs sysfs /sys
dmesg -n 1
while read -r m; do
    insmod "/lib/modules/qboot/$m.ko" 2>/dev/null
done < /lib/modules/qboot/order
sleep 1
drivers=
for d in /sys/bus/pci/devices/*; do
    [ -e "$d/driver" ] && drivers="$drivers${drivers:+,}${d##*/}=$(basename "$(readlink "$d/driver")")"
done
echo "QBOOT-DRIVERS ${drivers:-none}"
umount /sys /proc 2>/dev/null
exec /init-report
