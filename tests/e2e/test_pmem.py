"""End-to-end persistent memory under TCG: an NVDIMM described by QEMU's NFIT (data
survives a reboot through the backing file) and a legacy e820 type-12 range."""

import re
import subprocess
import sys

import pytest

from tests.qemu import boot

TIMEOUT = 60


def build(out, *args):
    r = subprocess.run([sys.executable, "-m", "qbootcore.cli", "build", "--plugin", "pmem",
                        *args, "-o", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


def pmem_line(r):
    m = re.search(r"QBOOT-PMEM (.*)", r.serial)
    assert m, r.describe()
    return dict(re.findall(r"(\w+)=(\S+)", m.group(1)))


@pytest.mark.parametrize("machine", ["q35", "pc"])
def test_nvdimm_nfit_and_data_survives_a_reboot(tmp_path, guest, machine):
    rom = build(tmp_path / "pmem.bin", "--board", machine)
    backing = tmp_path / "nvdimm.img"
    backing.write_bytes(b"")
    with open(backing, "wb") as fh:
        fh.truncate(128 << 20)
    nvdimm = ("-object", f"memory-backend-file,id=mem1,share=on,mem-path={backing},size=128M",
              "-device", "nvdimm,id=nv1,memdev=mem1")
    seen = []
    for marker in ("first-boot-marker", "second-boot-marker"):
        r = boot(rom, kernel=guest / "vmlinuz", initrd=guest / "initrd-pmem.cpio.gz",
                 machine=f"{machine},nvdimm=on", memory="512M,slots=2,maxmem=2G",
                 append=f"console=ttyS0 qboot_marker={marker}", extra=nvdimm, timeout=TIMEOUT)
        assert r.report is not None and r.done, r.describe()
        assert "NFIT" in r.report["acpi"], r.report
        pm = pmem_line(r)
        assert pm["dev"] == "pmem0" and pm["driver"] == "nd_pmem"
        assert int(pm["bytes"]) == 128 << 20
        # the NVDIMM is not RAM: MemTotal stays below -m
        assert r.report["memtotal_kb"] < 512 << 10
        seen.append(pm["old"])
    assert seen == ["none", "first-boot-marker"]


def test_legacy_pmem_range_becomes_pmem0(tmp_path, guest):
    rom = build(tmp_path / "legacy.bin", "--option", "pmem.legacy_start=0x10000000",
                "--option", "pmem.legacy_size=0x4000000")
    r = boot(rom, kernel=guest / "vmlinuz", initrd=guest / "initrd-pmem.cpio.gz",
             memory="512M", timeout=TIMEOUT)
    assert r.report is not None and r.done, r.describe()
    assert "[mem 0x0000000010000000-0x0000000013ffffff] persistent (type 12)" in r.serial
    pm = pmem_line(r)
    assert pm["driver"] == "nd_pmem" and int(pm["bytes"]) == 64 << 20


def test_legacy_pmem_outside_ram_is_refused_at_boot(tmp_path, guest):
    rom = build(tmp_path / "legacy.bin", "--option", "pmem.legacy_start=0x10000000",
                "--option", "pmem.legacy_size=0x4000000")
    r = boot(rom, kernel=guest / "vmlinuz", memory="128M", timeout=10)
    assert "pmem: the legacy persistent-memory range is not inside the guest's RAM" in r.debugcon
