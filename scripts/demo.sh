#!/bin/bash
# The main job, from a fresh Debian machine: set up, build a q35 ROM with the Linux loader,
# boot Debian's cloud kernel with a busybox initrd on it under QEMU (TCG), show what the
# guest saw and how long it took.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
GUEST=${QBOOT_FW_GUEST:-tests/guest/cache}
mkdir -p build

echo
echo "== build"
.venv/bin/qboot-fw build --board q35 --loader linux -o build/bios.bin

echo
qemu_version=$(qemu-system-x86_64 --version | head -n1 | grep -oE '[0-9]+\.[0-9.]+' | head -n1)
echo "== boot (QEMU $qemu_version, TCG)"
cmd=(qemu-system-x86_64 -accel tcg -M q35 -m 512M -smp 2 -bios build/bios.bin
     -kernel "$GUEST/vmlinuz" -initrd "$GUEST/initrd.cpio.gz" -append "console=ttyS0"
     -nographic -no-reboot -monitor none -debugcon file:build/debugcon.log
     -global isa-debugcon.iobase=0x402)
echo "${cmd[*]}"
start=$(date +%s.%N)
timeout 120 "${cmd[@]}" </dev/null >build/serial.log 2>&1 || true
end=$(date +%s.%N)
grep -E "Linux version|Command line|DMI:|ACPI: RSDP|smpboot: Total" build/serial.log | sed 's/^/  /' || true
if grep -q '^QBOOT-REPORT' build/serial.log; then
    echo "  guest /init: $(grep '^QBOOT-REPORT' build/serial.log | tr -d '\r')"
    awk -v a="$start" -v b="$end" \
        'BEGIN { printf "== reached init and powered off in %.2f s of wall time (whole boot under TCG)\n", b - a }'
else
    echo "== the guest did not reach init; serial log tail:"
    tail -n 20 build/serial.log
    cat build/debugcon.log
    exit 1
fi
if .venv/bin/qboot-fw bench --help >/dev/null 2>&1; then
    echo
    echo "== firmware cost to kernel entry, against QEMU's qboot and SeaBIOS"
    .venv/bin/qboot-fw bench --machine q35 -n 5
fi
