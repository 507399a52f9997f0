"""The ``pmem`` feature: persistent memory.

* NVDIMMs (``-M q35,nvdimm=on`` with ``-device nvdimm``): QEMU's NFIT and NVDIMM SSDT come
  through the core's ACPI table loader; this plugin adds nothing to the ROM for them.
* Legacy pmem: ``[options.pmem] legacy_start = 0x10000000`` and ``legacy_size =
  0x8000000`` (or ``--option pmem.legacy_start=...``) turn that range of guest RAM into
  e820 type 12, which Linux binds as /dev/pmemN through nd_e820.

Checked at build time: 2 MiB alignment of start and size, no overlap with the firmware's
fixed reservations (everything below 1 MiB, the firmware's working memory) and with the
q35 MMCONFIG window; checked at boot: the range lies in RAM (the firmware panics with the
reason otherwise, since the guest's RAM size is only known then).
"""

from pathlib import Path

from qbootcore import hookimpl
from qbootcore.errors import QbootError
from qbootcore.model import Feature, Fragment, Option, Step

HERE = Path(__file__).parent
PMEM_ALIGN = 0x200000
ONE_MIB = 0x100000
FOUR_GIB = 1 << 32
#: ranges no legacy pmem may cover: (start, end, what)
FIXED = ((0, ONE_MIB, "the first MiB (IVT, BDA, EBDA, F-segment, firmware memory)"),
         (0xB0000000, 0xC0000000, "the q35 MMCONFIG window"),
         (0xFEC00000, FOUR_GIB, "the IOAPIC, LAPIC and BIOS area below 4 GiB"))

OPTIONS = {
    "legacy_start": Option(int, min=0, max=FOUR_GIB - PMEM_ALIGN,
                           help="start of a legacy pmem range (2 MiB aligned), e.g. 0x10000000"),
    "legacy_size": Option(int, min=PMEM_ALIGN, max=FOUR_GIB,
                          help="its size (a multiple of 2 MiB)"),
}


def legacy_range(options) -> tuple[int, int] | None:
    """The recipe's legacy range (typed and range-checked by the core, see OPTIONS), checked
    against what pmem knows: alignment and the firmware's fixed reservations; None when
    there is none."""
    start, size = options.get("legacy_start"), options.get("legacy_size")
    if start is None and size is None:
        return None
    if start is None or size is None:
        raise QbootError("pmem: give both legacy_start and legacy_size")
    if start % PMEM_ALIGN or size % PMEM_ALIGN:
        raise QbootError(f"pmem: the legacy range {start:#x}+{size:#x} must be non-empty and "
                         f"2 MiB aligned in start and size (Linux maps pmem in 2 MiB sections)")
    if start + size > FOUR_GIB:
        raise QbootError(f"pmem: the legacy range {start:#x}+{size:#x} must lie below 4 GiB")
    for lo, hi, what in FIXED:
        if start < hi and start + size > lo:
            raise QbootError(f"pmem: the legacy range {start:#x}+{size:#x} overlaps {what}; "
                             f"move it")
    return start, size


def fragments(ctx):
    rng = legacy_range(ctx.options_for("pmem"))
    if rng is None:
        return []
    start, size = rng
    return [Fragment.from_file(HERE / "pmem.asm", "text32",
                               constants={"PMEM_LEGACY_START": start, "PMEM_LEGACY_SIZE": size})]


def steps(ctx):
    return (Step("reserve", "pmem_reserve", order=80),) if legacy_range(ctx.options_for("pmem")) else ()


@hookimpl
def qboot_features():
    return [Feature(
        name="pmem",
        description="persistent memory: NVDIMM/NFIT via the table loader; legacy e820 type-12 range",
        fragments=fragments,
        constants=(HERE / "pmem.inc",),
        steps=steps,
        options=OPTIONS,
    )]
