#!/bin/sh
# /init of the qboot-fw test guest (busybox-static): report what the firmware
# handed over to Linux as one machine-readable line on the console, then power off.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
dmesg -n 1                      # keep kernel messages from interleaving with ours

# read a one-line value; spaces become '_' so that every value is one \S+ token
val() { v=$(cat "$1" 2>/dev/null); printf '%s' "${v:-none}" | tr ' \t' '__'; }

acpi=
for f in /sys/firmware/acpi/tables/*; do
    [ -f "$f" ] && acpi="$acpi${acpi:+,}${f##*/}"
done
cmdline=$(cat /proc/cmdline)
echo "QBOOT-REPORT cpus=$(nproc)" \
    "memtotal_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)" \
    "acpi=${acpi:-none}" \
    "dmi_vendor=$(val /sys/class/dmi/id/sys_vendor)" \
    "dmi_product=$(val /sys/class/dmi/id/product_name)" \
    "cmdline_len=${#cmdline}" \
    "cmdline_sha256=$(printf '%s' "$cmdline" | sha256sum | cut -d' ' -f1)"
[ -f /big.bin ] && echo "QBOOT-BIG sha256=$(sha256sum /big.bin | cut -d' ' -f1)"
echo "QBOOT-DMESG-ERRORS $(dmesg | grep -cE 'pci.*error|BUG|WARNING')"
[ -f /sys/firmware/dmi/entries/11-0/raw ] && echo "QBOOT-DMI11 $(od -An -v -tx1 /sys/firmware/dmi/entries/11-0/raw | tr -d ' \n')"
# every PCI function Linux found, as bdf:vendor:device (tests/e2e/test_boards.py)
pci=
for d in /sys/bus/pci/devices/*; do
    [ -f "$d/vendor" ] && pci="$pci${pci:+,}${d##*/}:$(sed 's/^0x//' "$d/vendor"):$(sed 's/^0x//' "$d/device")"
done
echo "QBOOT-PCI ${pci:-none}"
echo "QBOOT-DONE"

# ACPI S5 if the firmware gave us a FADT, else a reset (QEMU runs with -no-reboot)
[ -f /sys/firmware/acpi/tables/FACP ] && poweroff -f
reboot -f
