"""Property-based fuzzing of the firmware's parsers in the emulator (issue 16 item 7,
docs/reliability.md), with Hypothesis against the simulated fw_cfg: ACPI table-loader
scripts, e820 maps, the fw_cfg file directory and Linux setup headers.

The property, for every input: the routine returns with a consistent result, or panics
with a message; it never writes (by CPU store or by the fw_cfg DMA it asks for) outside the
memory it owns, never loops (an instruction budget), never faults.

A bounded number of examples runs by default (CI); set QBOOT_FW_FUZZ_EXAMPLES for more,
e.g. ``QBOOT_FW_FUZZ_EXAMPLES=2000 pytest tests/unit/test_reliability_fuzz.py``.
"""

import functools
import hashlib
import os
import struct

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from unicorn import UC_HOOK_MEM_WRITE

from qbootcore.build import Selection, build
from qbootcore.layout import REGIONS
from qbootcore.testing import FwCfg, Machine, Panic

EXAMPLES = int(os.environ.get("QBOOT_FW_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize="QBOOT_FW_FUZZ_EXAMPLES"
                not in os.environ, suppress_health_check=[HealthCheck.too_slow,
                                                         HealthCheck.data_too_large,
                                                         HealthCheck.large_base_example])
MAX_INSNS = 3_000_000
BSS = (REGIONS["bss"].start, REGIONS["bss"].end)
RAM_TOP = 256 << 20


@functools.lru_cache(maxsize=1)
def rom():
    """The default build (q35 + linux), linked once (a plain function rather than a
    fixture, so that Hypothesis does not print it with each falsifying example)."""
    return build(Selection(board="q35", loaders=["linux"])).linked


class WatchedFwCfg(FwCfg):
    """fw_cfg that records where each DMA read wrote guest memory."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.dma_writes = []

    def _dma(self, addr, mem):
        control, length, address = struct.unpack(">IIQ", mem.read(addr, 16))
        if control & 0x02 and length:                          # FW_CFG_DMA_CTL_READ
            self.dma_writes.append((address, length))
        super()._dma(addr, mem)


class Outcome:
    def __init__(self, machine, panic=None, result=None):
        self.m, self.panic, self.result = machine, panic, result


#: core_reserve writes the BDA's EBDA segment (40:0Eh) and base memory size (40:13h)
BDA_WORDS = [(0x40E, 0x410), (0x413, 0x415)]


def run(linked, fw, steps, allowed, stop_at=()):
    """Run ``steps``; every CPU store and DMA write must fall in ``allowed`` (a callable
    (machine) -> [(start, end)], asked once the zones are known) or in firmware RAM."""
    m = Machine(linked, fw, ram_size=RAM_TOP)
    stores = []
    m.uc.hook_add(UC_HOOK_MEM_WRITE,
                  lambda uc, access, address, size, value, user: stores.append((address, size)))
    outcome = Outcome(m)
    for step in steps:
        try:
            outcome.result = m.call(step, max_insns=MAX_INSNS,
                                    stop_at=stop_at if step == steps[-1] else ())
        except Panic as exc:
            outcome.panic = str(exc)
            break
        except RuntimeError as exc:                             # fault or endless loop
            raise AssertionError(f"{step}: {exc}; serial: {m.serial[-300:]!r}") from None
        if outcome.result.entered is not None:
            break
    event(f"{steps[-1]}: " + ("panic: " + outcome.panic[17:60] if outcome.panic is not None
                              else "entered" if outcome.result.entered else "returned"))
    if outcome.panic is not None:
        assert outcome.panic.startswith("qboot-fw: panic: ") and len(outcome.panic) > 30
        assert "\n" not in outcome.panic.strip()
    ranges = [BSS, *BDA_WORDS, *allowed(m)]
    for address, size in stores + fw.dma_writes:
        assert any(lo <= address and address + size <= hi for lo, hi in ranges), \
            f"write of {size} bytes at {address:#x} outside {[(hex(a), hex(b)) for a, b in ranges]}"
    return outcome


def e820(*entries):
    return b"".join(struct.pack("<QQI", *e) for e in entries)


def zones(m):
    """The allocator's zones (alloc.asm): what the table loader may write."""
    u = lambda name: m.u32(m.sym(name))
    out = [(u("alloc_high_floor"), u("alloc_high_top"))]
    if u("alloc_fseg_end"):
        out.append((0xF0000, u("alloc_fseg_end")))
    return out


# -- e820 --------------------------------------------------------------------------------

E820_TYPES = st.sampled_from([1, 2, 3, 4, 5, 7, 12, 0, 0xFFFFFFFF])
ADDR = st.one_of(st.integers(0, 1 << 20), st.integers(0, 1 << 32),
                 st.integers(0, (1 << 64) - 1), st.sampled_from([0, 0x9FC00, 0x100000]))
E820_ENTRY = st.tuples(ADDR, st.one_of(st.integers(0, 1 << 32), st.just(0),
                                       st.integers(0, (1 << 64) - 1)), E820_TYPES)


def disjoint(pieces):
    """(gap, length, type) pieces laid end to end from 0: a map without overlaps, in
    shuffled order as a VMM may list it."""
    out, at = [], 0
    for gap, length, kind in pieces:
        at += gap
        out.append((at, length, kind))
        at += length
    return out[1::2] + out[0::2]


MAPS = st.one_of(
    st.lists(E820_ENTRY, max_size=160).map(lambda e: [(0, RAM_TOP, 1), *e]),
    st.lists(st.tuples(st.integers(0, 1 << 30), st.integers(0, 1 << 30), E820_TYPES),
             max_size=140).map(disjoint))


@FUZZ
@given(entries=MAPS, tail=st.binary(max_size=19))
def test_fuzz_e820_map(entries, tail):
    fw = WatchedFwCfg()
    fw.add_file("etc/e820", e820(*entries) + tail)
    out = run(rom(), fw, ("fw_cfg_init", "e820_init", "alloc_init", "core_reserve"),
              lambda m: [])
    if out.panic is None:
        m = out.m
        n = m.u32(m.sym("e820_count"))
        assert 0 < n <= 128
        table = [struct.unpack("<QQI", m.read(m.sym("e820_map") + 20 * i, 20))
                 for i in range(n)]
        bases = [b for b, _, _ in table]
        assert bases == sorted(bases)                               # sorted
        assert all(size > 0 for _, size, _ in table)                # no empty entries
        assert all(b1 + s1 <= b2 for (b1, s1, _), (b2, _, _) in zip(table, table[1:]))


# -- the fw_cfg directory ------------------------------------------------------------------

NAMES = st.one_of(st.text(min_size=0, max_size=60), st.sampled_from(
    ["etc/e820", "etc/table-loader", "etc/acpi/rsdp", "x" * 56, "etc/e820\0junk"]))


@FUZZ
@given(files=st.lists(st.tuples(NAMES, st.binary(max_size=64)), max_size=300),
       count=st.one_of(st.none(), st.integers(0, (1 << 32) - 1)), pick=st.integers(0, 299))
def test_fuzz_fw_cfg_directory(files, count, pick):
    fw = WatchedFwCfg()
    fw.add_file("etc/e820", e820((0, RAM_TOP, 1)))
    for name, data in files:
        name = name.encode("utf-8", "replace")[:55].decode("utf-8", "ignore").split("\0")[0]
        if name:
            fw.add_file(name, data)
    if count is not None:                                       # a directory that lies
        fw.items[0x19][0:4] = struct.pack(">I", count)
    out = run(rom(), fw, ("fw_cfg_init", "e820_init", "alloc_init"), lambda m: [])
    if out.panic is None and count is None:
        # every file the firmware's directory buffer holds is found by name
        names = list(fw.files)
        name = names[pick % len(names)]
        scratch = 0x7000
        out.m.write(scratch, name.encode() + b"\0")
        r = out.m.call("fw_cfg_find", esi=scratch)
        assert (r.regs["eax"], r.regs["ecx"]) == (fw.files[name], len(fw.file(name)))


# -- the ACPI table loader -----------------------------------------------------------------

FILE_NAMES = ["etc/acpi/rsdp", "etc/acpi/tables", "etc/vmgenid", "etc/missing", "", "a" * 56]


def name_field(name):
    return name.encode()[:56].ljust(56, b"\0")


ENTRY = st.one_of(
    st.builds(lambda n, align, zone: struct.pack("<I56sIB", 1, name_field(n), align, zone),
              st.sampled_from(FILE_NAMES),
              st.one_of(st.sampled_from([0, 1, 16, 64, 4096, 1 << 31]),
                        st.integers(0, 1 << 32 - 1)),
              st.integers(0, 4)),
    st.builds(lambda d, s, off, size: struct.pack("<I56s56sIB", 2, name_field(d),
                                                    name_field(s), off, size),
              st.sampled_from(FILE_NAMES), st.sampled_from(FILE_NAMES),
              st.one_of(st.integers(0, 300), st.integers(0, (1 << 32) - 1)),
              st.sampled_from([0, 1, 2, 3, 4, 8, 16, 255])),
    st.builds(lambda n, off, start, length: struct.pack("<I56sIII", 3, name_field(n), off,
                                                         start, length),
              st.sampled_from(FILE_NAMES),
              st.one_of(st.integers(0, 300), st.integers(0, (1 << 32) - 1)),
              st.one_of(st.integers(0, 300), st.integers(0, (1 << 32) - 1)),
              st.one_of(st.integers(0, 300), st.integers(0, (1 << 32) - 1))),
    st.builds(lambda d, s, doff, soff, size: struct.pack("<I56s56sIIB", 4, name_field(d),
                                                           name_field(s), doff, soff, size),
              st.sampled_from(FILE_NAMES), st.sampled_from(FILE_NAMES),
              st.one_of(st.integers(0, 16), st.integers(0, (1 << 32) - 1)),
              st.one_of(st.integers(0, 300), st.integers(0, (1 << 32) - 1)),
              st.sampled_from([0, 1, 2, 4, 8, 3, 255])),
    st.binary(min_size=4, max_size=128),                         # unknown or garbage
)


@FUZZ
@given(script=st.lists(ENTRY.map(lambda e: e.ljust(128, b"\0")[:128]), max_size=40),
       tail=st.binary(max_size=127),
       sizes=st.tuples(st.integers(0, 300), st.integers(0, 5000), st.integers(0, 64)))
def test_fuzz_acpi_table_loader(script, tail, sizes):
    fw = WatchedFwCfg()
    fw.add_file("etc/e820", e820((0, RAM_TOP, 1)))
    for name, size in zip(FILE_NAMES[:3], sizes):
        fw.add_file(name, bytes(range(256)) * (size // 256) + bytes(size % 256))
    fw.add_file("a" * 56, b"RSD PTR " + bytes(12))
    fw.add_file("etc/vmgenid_addr", bytes(8))
    fw.add_file("etc/table-loader", b"".join(script) + tail)
    out = run(rom(), fw, ("fw_cfg_init", "e820_init", "alloc_init",
                                     "core_reserve", "acpi_load"), zones)
    if out.panic is None:
        rsdp = out.m.u32(out.m.sym("acpi_rsdp"))
        # in a zone (at its end for an empty etc/acpi/rsdp, which holds nothing to read)
        assert rsdp == 0 or any(lo <= rsdp <= hi for lo, hi in zones(out.m))


# -- Linux setup headers -------------------------------------------------------------------

KERNEL_ADDR, CMDLINE_ADDR, INITRD_ADDR = 0x100000, 0x20000, 0x800000


#: header fields: offset, format, the value a good kernel has, what a bad one may have
FIELDS = [
    (0x1F4, "I", (5000 + 15) // 16, st.integers(0, (1 << 32) - 1)),            # syssize
    (0x201, "B", 0x66, st.integers(0, 255)),                    # jump: the header's end
    (0x206, "H", 0x020F, st.integers(0, 0xFFFF)),                           # version
    (0x211, "B", 0x01, st.integers(0, 255)),                              # loadflags
    (0x214, "I", 0x100000, st.sampled_from([0, 0x100000, 0xFFFFFFFF])),  # code32_start
    (0x230, "I", 0x200000, st.sampled_from([0, 1, 3, 0x200000, 1 << 31, (1 << 32) - 1])),
    (0x234, "B", 1, st.integers(0, 255)),                        # relocatable_kernel
    (0x236, "H", 0, st.integers(0, 0xFFFF)),                              # xloadflags
    (0x238, "I", 2047, st.one_of(st.sampled_from([0, 1, 255, 0x10000, 0x7FFFFFFF,
                                                  (1 << 32) - 1]),
                                 st.integers(0, (1 << 32) - 1))),        # cmdline_size
    (0x258, "I", 0x1000000, st.sampled_from([0, 0x1000000, 0xFFFFF000])),  # pref_address
    (0x260, "I", 0x400000, st.sampled_from([0, 0x400000, 0x10000000, (1 << 32) - 1])),
]


@st.composite
def setup_headers(draw):
    """A good kernel's header with one to three fields as a bad or hostile one may have
    them (offset -> value, a small dict Hypothesis can print and shrink), and the seed of
    the garbage elsewhere in the page."""
    bad = {}
    for off, fmt, _, values in draw(st.lists(st.sampled_from(FIELDS), min_size=1,
                                             max_size=3)):
        bad[off] = draw(values)
    return bad, draw(st.integers(0, 255))


def header_page(bad, seed):
    """The setup page: garbage, the good header with ``bad`` fields, and the fields QEMU
    writes itself (cmd_line_ptr, ramdisk_image/size, type_of_loader) set as QEMU does."""
    page = bytearray(hashlib.shake_128(bytes([seed])).digest(0x1000))
    page[0x202:0x206] = b"HdrS"
    for off, fmt, good, _ in FIELDS:
        struct.pack_into("<" + fmt, page, off, bad.get(off, good))
    page[0x210] = 0xB0
    struct.pack_into("<II", page, 0x218, INITRD_ADDR, 16)
    struct.pack_into("<I", page, 0x228, CMDLINE_ADDR)
    return bytes(page)


@FUZZ
@given(header=setup_headers(), kernel=st.one_of(st.just(5000), st.integers(1, 9000)),
       cmdline=st.binary(max_size=300).map(lambda b: b.replace(b"\0", b"x") + b"\0"))
def test_fuzz_linux_setup_header(header, kernel, cmdline):
    header = header_page(*header)
    fw = WatchedFwCfg()
    fw.add_file("etc/e820", e820((0, RAM_TOP, 1)))
    fw.add_item(0x18, header + bytes(0x1000))
    fw.add_u32(0x07, KERNEL_ADDR)
    fw.add_u32(0x08, kernel)
    fw.add_item(0x11, b"\x90" * kernel)
    fw.add_u32(0x14, len(cmdline))
    fw.add_item(0x15, cmdline)
    fw.add_item(0x12, bytes(16))

    def owned(m):
        # what QEMU set aside: the kernel, the command line (up to cmdline_size + 1, the
        # most a protocol 2.06+ kernel accepts, or its own length), the initrd
        size = struct.unpack_from("<I", header, 0x238)[0]
        return [(KERNEL_ADDR, KERNEL_ADDR + kernel),
                (CMDLINE_ADDR, CMDLINE_ADDR + max(len(cmdline), min(size + 1, 0x10000))),
                (INITRD_ADDR, INITRD_ADDR + 16)]
    out = run(rom(), fw, ("fw_cfg_init", "e820_init", "alloc_init",
                                     "core_reserve", "kernel_check", "linux_probe"),
              owned, stop_at=(KERNEL_ADDR,))
    assert out.panic is not None or out.result.entered == KERNEL_ADDR   # HdrS: ours


# -- PVH: what QEMU serves for an ELF with a PVH note ----------------------------------------

@functools.lru_cache(maxsize=1)
def pvh_rom():
    return build(Selection(board="q35", loaders=["pvh"])).linked


PVH_ENTRY = 0x200000


@FUZZ
@given(cmdline=st.one_of(st.binary(max_size=300), st.integers(0, (1 << 32) - 1)),
       initrd=st.tuples(st.one_of(st.integers(0, 4096), st.integers(0, (1 << 32) - 1)),
                        st.one_of(st.just(0x800000), st.integers(0, (1 << 32) - 1))))
def test_fuzz_pvh_items(cmdline, initrd):
    """The command line's size (or a FW_CFG_CMDLINE_SIZE that lies about it) and the
    initrd's size and address as QEMU's items give them."""
    fw = WatchedFwCfg()
    fw.add_file("etc/e820", e820((0, RAM_TOP, 1)))
    fw.add_file("genroms/pvh.bin", b"")
    fw.add_u32(0x10, PVH_ENTRY)                                 # FW_CFG_KERNEL_ENTRY
    fw.add_u32(0x08, 4096)                                      # FW_CFG_KERNEL_SIZE
    if isinstance(cmdline, bytes):
        fw.add_u32(0x14, len(cmdline) + 1)
        fw.add_item(0x15, cmdline + b"\0")
    else:
        fw.add_u32(0x14, cmdline)
        fw.add_item(0x15, b"short\0")
    size, addr = initrd
    if size:
        fw.add_u32(0x0B, size)
        fw.add_u32(0x0A, addr)
        fw.add_item(0x12, bytes(min(size, 4096)))

    def owned(m):
        return [*zones(m), (addr, addr + size)]
    out = run(pvh_rom(), fw, ("fw_cfg_init", "e820_init", "alloc_init", "core_reserve",
                              "acpi_load", "kernel_check", "pvh_probe"), owned,
              stop_at=(PVH_ENTRY,))
    assert out.panic is not None or out.result.entered == PVH_ENTRY
