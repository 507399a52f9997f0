"""A simulated PCI hierarchy for :class:`~.emulator.Machine` (``devices=(host,)``).

:class:`PciHost` answers configuration mechanism #1 (0xCF8/0xCFC-0xCFF, PCI Local Bus 3.0,
3.2.2.3.2) and, when given ``ecam_base``, MMCONFIG (PCI Express Base 3.0, 7.2.2).  Buses are
reached as QEMU reaches them (hw/pci/pci.c, pci_find_bus_nr): bus 0 is the root; any other
number is behind the bridge whose secondary..subordinate range holds it, so a bridge the
firmware has not numbered hides everything behind it.  A function nobody answers for reads
as all ones and ignores writes.

Each :class:`PciFunction` is 256 bytes of configuration space with a write mask: the
identification, header type and interrupt pin are read-only, the command register,
INTERRUPT_LINE, a bridge's bus numbers and bridge control are writable, and so is the
device-specific area 0x40-0xFF (chipset registers such as PAM or PIRQ routing).  Every
write is kept in ``writes`` as (register, size, value).

    host = PciHost(ecam_base=0xB0000000)
    host.add(0, 0x00, 0, PciFunction(0x8086, 0x29C0))
    rp = host.add_bridge(0, 0x1C, 0)            # a PCIe root port; returns the bus behind it
    rp.add(0, 0, PciFunction(0x1AF4, 0x1041, pin=1))

Base address registers (``bars={index: (kind, size)}``, kind ``"io"``, ``"mem32"``,
``"mem32pref"``, ``"mem64"`` or ``"mem64pref"``; a 64-bit BAR takes the next index too) and
an expansion ROM (``rom=size``) answer sizing as real ones do: the address bits below the
size read as zero, the type bits are read-only (PCI Local Bus 3.0, 6.2.5).  A bridge's
window registers are writable, its prefetchable window 64-bit.

    PciFunction(0x1AF4, 0x1110, bars={0: ("mem32", 0x100), 2: ("mem64pref", 1 << 31)})
"""

from __future__ import annotations

import struct

CONFIG_ADDRESS, CONFIG_DATA = 0xCF8, 0xCFC
ENABLE = 0x8000_0000
HEADER_BRIDGE, MULTIFUNCTION = 0x01, 0x80
BUS_NUMBERS, BRIDGE_CONTROL, INTERRUPT_LINE, INTERRUPT_PIN = 0x18, 0x3E, 0x3C, 0x3D
#: writable bytes of every function; bridges add their bus numbers and bridge control
WRITABLE = {0x04, 0x05, 0x0C, 0x0D, INTERRUPT_LINE, *range(0x40, 0x100)}
WRITABLE_BRIDGE = WRITABLE | {0x18, 0x19, 0x1A, 0x1B, 0x3E, 0x3F}
#: BAR kinds -> (read-only low bits, 64-bit)
BAR_KINDS = {"io": (0x1, False), "mem32": (0x0, False), "mem32pref": (0x8, False),
             "mem64": (0x4, True), "mem64pref": (0xC, True)}
BAR0, ROM_DEVICE, ROM_BRIDGE = 0x10, 0x30, 0x38
#: a bridge's I/O, memory and prefetchable windows (0x1C-0x2F, I/O upper halves 0x30-0x33)
WINDOWS = set(range(0x1C, 0x20)) | set(range(0x20, 0x30)) | set(range(0x30, 0x34))
PREF_64 = 0x01
#: QEMU's PCI-PCI bridge (hw/pci-bridge/pci_bridge_dev.c): Red Hat 1b36:0001
PCI_BRIDGE_ID = (0x1B36, 0x0001)


class PciBus:
    """The functions on one bus, by devfn (device << 3 | function)."""

    def __init__(self) -> None:
        self.functions: dict[int, PciFunction] = {}

    def add(self, device: int, function: int, fn: "PciFunction") -> "PciFunction":
        self.functions[(device << 3) | function] = fn
        if function:  # function 0 of a multi-function device says so in its header type
            first = self.functions.get(device << 3)
            if first is not None:
                first.config[0x0E] |= MULTIFUNCTION
        elif any(devfn >> 3 == device and devfn & 7 for devfn in self.functions):
            fn.config[0x0E] |= MULTIFUNCTION
        return fn

    def add_bridge(self, device: int, function: int = 0, vendor: int = PCI_BRIDGE_ID[0],
                   device_id: int = PCI_BRIDGE_ID[1], pin: int = 1) -> "PciBus":
        """A PCI-to-PCI bridge (type 1 header) at device.function; returns its secondary bus."""
        bridge = PciFunction(vendor, device_id, header_type=HEADER_BRIDGE, pin=pin,
                             class_code=0x060400)
        self.add(device, function, bridge)
        return bridge.secondary


class PciFunction:
    def __init__(self, vendor: int, device: int, *, header_type: int = 0, pin: int = 0,
                 class_code: int = 0, bars: dict | None = None, rom: int = 0) -> None:
        self.config = bytearray(256)
        self.bars = dict(bars or {})
        self.rom = rom
        struct.pack_into("<HH", self.config, 0, vendor, device)
        struct.pack_into("<I", self.config, 0x08, class_code << 8)
        self.config[0x0E] = header_type
        self.config[INTERRUPT_PIN] = pin
        self.secondary = PciBus() if self.is_bridge else None
        self.writes: list[tuple[int, int, int]] = []
        # register -> (mask of writable bits, read-only bits) of each BAR dword
        self.bar_regs: dict[int, tuple[int, int]] = {}
        for index, (kind, size) in self.bars.items():
            low_bits, wide = BAR_KINDS[kind]
            mask = (~(size - 1)) & ((1 << 64) - 1)
            reg = BAR0 + 4 * index
            self.bar_regs[reg] = ((mask & 0xFFFFFFFF) & ~(0x3 if kind == "io" else 0xF),
                                  low_bits)
            struct.pack_into("<I", self.config, reg, low_bits)
            if wide:
                self.bar_regs[reg + 4] = (mask >> 32, 0)
        if rom:
            self.bar_regs[ROM_BRIDGE if self.is_bridge else ROM_DEVICE] = (
                (~(rom - 1)) & 0xFFFFF800 | 1, 0)
        if self.is_bridge:
            self.config[0x24] = self.config[0x26] = PREF_64

    @property
    def is_bridge(self) -> bool:
        return self.config[0x0E] & 0x7F == HEADER_BRIDGE

    def read(self, register: int, size: int) -> int:
        return int.from_bytes(self.config[register:register + size], "little")

    def write(self, register: int, size: int, value: int) -> None:
        self.writes.append((register, size, value))
        if register in self.bar_regs and size == 4:
            mask, fixed = self.bar_regs[register]
            struct.pack_into("<I", self.config, register, (value & mask) | fixed)
            return
        if self.is_bridge and register in WINDOWS:
            for i in range(size):
                if register + i not in (0x24, 0x26):     # type bits of the pref window
                    self.config[register + i] = (value >> (8 * i)) & 0xFF
                else:
                    self.config[register + i] = (value >> (8 * i)) & 0xF0 | PREF_64
            return
        writable = WRITABLE_BRIDGE if self.is_bridge else WRITABLE
        for i in range(size):
            if register + i in writable:
                self.config[register + i] = (value >> (8 * i)) & 0xFF

    def u8(self, register: int) -> int:
        return self.config[register]

    def u32(self, register: int) -> int:
        return self.read(register, 4)

    def bar(self, index: int) -> int:
        """The address BAR ``index`` holds (both halves of a 64-bit one)."""
        kind, _ = self.bars[index]
        reg = BAR0 + 4 * index
        value = self.u32(reg) & ~(0x3 if kind == "io" else 0xF)
        if BAR_KINDS[kind][1]:
            value |= self.u32(reg + 4) << 32
        return value

    @property
    def rom_address(self) -> int:
        return self.u32(ROM_BRIDGE if self.is_bridge else ROM_DEVICE)

    @property
    def command(self) -> int:
        return self.read(0x04, 2)

    def windows(self) -> dict[str, tuple[int, int] | None]:
        """A bridge's windows as (base, limit), None when closed."""
        c = self.config
        io = ((c[0x1C] & 0xF0) << 8, ((c[0x1D] & 0xF0) << 8) | 0xFFF)
        mem = ((self.read(0x20, 2) & 0xFFF0) << 16, ((self.read(0x22, 2) & 0xFFF0) << 16) | 0xFFFFF)
        pref = ((self.read(0x24, 2) & 0xFFF0) << 16 | self.u32(0x28) << 32,
                ((self.read(0x26, 2) & 0xFFF0) << 16) | 0xFFFFF | self.u32(0x2C) << 32)
        return {k: (w if w[0] <= w[1] else None) for k, w in
                (("io", io), ("mem", mem), ("pref", pref))}

    @property
    def bus_numbers(self) -> tuple[int, int, int]:
        """A bridge's (primary, secondary, subordinate)."""
        return tuple(self.config[BUS_NUMBERS:BUS_NUMBERS + 3])


class PciHost(PciBus):
    """The host bridge side: the root bus (itself) and the two ways in."""

    def __init__(self, ecam_base: int | None = None, ecam_size: int = 256 << 20) -> None:
        super().__init__()
        self.address = 0
        self.ecam_base, self.ecam_size = ecam_base, ecam_size

    # -- topology -------------------------------------------------------------------------
    def bus(self, number: int, bus: PciBus | None = None) -> PciBus | None:
        """The bus a configuration cycle for bus ``number`` reaches (pci_find_bus_nr)."""
        if number == 0:
            return self
        for fn in (bus or self).functions.values():
            if not fn.is_bridge:
                continue
            _, secondary, subordinate = fn.bus_numbers
            if secondary and secondary <= number <= subordinate:
                return fn.secondary if number == secondary else self.bus(number, fn.secondary)
        return None

    def function(self, bdf: int) -> PciFunction | None:
        bus = self.bus(bdf >> 8)
        return None if bus is None else bus.functions.get(bdf & 0xFF)

    def walk(self, bus: PciBus | None = None, number: int = 0):
        """(bdf, function) of everything the current bus numbers make reachable."""
        bus = bus or self
        for devfn, fn in sorted(bus.functions.items()):
            yield (number << 8) | devfn, fn
            if fn.is_bridge and fn.bus_numbers[1] and self.bus(fn.bus_numbers[1]) is fn.secondary:
                yield from self.walk(fn.secondary, fn.bus_numbers[1])

    # -- configuration cycles ---------------------------------------------------------------
    def config_read(self, bdf: int, register: int, size: int) -> int:
        fn = self.function(bdf)
        return (1 << (8 * size)) - 1 if fn is None else fn.read(register, size)

    def config_write(self, bdf: int, register: int, size: int, value: int) -> None:
        fn = self.function(bdf)
        if fn is not None:
            fn.write(register, size, value)

    # -- the Machine's device interface -------------------------------------------------------
    def port_read(self, port: int, size: int) -> int | None:
        if port == CONFIG_ADDRESS and size == 4:
            return self.address
        if CONFIG_DATA <= port < CONFIG_DATA + 4:
            if not self.address & ENABLE:
                return (1 << (8 * size)) - 1
            return self.config_read((self.address >> 8) & 0xFFFF,
                                    (self.address & 0xFC) + port - CONFIG_DATA, size)
        return None

    def port_write(self, port: int, size: int, value: int) -> bool:
        if port == CONFIG_ADDRESS and size == 4:
            self.address = value
            return True
        if CONFIG_DATA <= port < CONFIG_DATA + 4:
            if self.address & ENABLE:
                self.config_write((self.address >> 8) & 0xFFFF,
                                  (self.address & 0xFC) + port - CONFIG_DATA, size, value)
            return True
        return False

    def _ecam(self, address: int):
        if self.ecam_base is None:
            return None
        if not self.ecam_base <= address < self.ecam_base + self.ecam_size:
            return None
        offset = address - self.ecam_base
        return offset >> 12, offset & 0xFFF

    def mmio_read(self, address: int, size: int) -> int | None:
        where = self._ecam(address)
        if where is None:
            return None
        bdf, register = where
        return self.config_read(bdf, register, size) if register < 256 else 0

    def mmio_write(self, address: int, size: int, value: int) -> bool:
        where = self._ecam(address)
        if where is None:
            return False
        bdf, register = where
        if register < 256:
            self.config_write(bdf, register, size, value)
        return True
