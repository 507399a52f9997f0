"""A simulated modern virtio-blk PCI function (virtio 1.1, 4.1 and 5.2) for
:class:`~.emulator.Machine`, on a :class:`~.pci.PciHost`.

The function has QEMU's layout (hw/virtio/virtio-pci.c): vendor capabilities for the
common, ISR, device and notify structures, all in BAR 4 (64-bit memory, 16 KiB), which
reads 0 until the firmware assigns it.  The common configuration follows device status,
feature negotiation and queue 0's set-up; a write to the notify address runs every
request the driver made available, synchronously, against ``disk`` (a bytearray of
512-byte sectors), and counts it in ``requests``.

    host = PciHost(ecam_base=0xB0000000)
    blk = VirtioBlk(bytearray(disk_image))
    host.add(3, 0, blk)
    m = Machine(linked, devices=(host, blk)); blk.attach(m)
"""

from __future__ import annotations

import struct

from .pci import PciFunction

VENDOR, DEVICE_TRANSITIONAL, DEVICE_MODERN = 0x1AF4, 0x1001, 0x1042
BAR0, BAR4, BAR_SIZE = 0x10, 0x20, 0x4000
LEGACY_SIZE = 0x40                          # legacy registers and configuration, I/O
BAR_FLAGS = 0x4 | 0x8                       # 64-bit, prefetchable
COMMON, ISR, DEVICE_CFG, NOTIFY = 0x0000, 0x1000, 0x2000, 0x3000
NOTIFY_MULTIPLIER = 4
WINDOW = (0xE000_0000, 0x0100_0000)         # where the firmware may place BARs here
STATUS_FEATURES_OK, VERSION_1 = 8, 1 << 32
DESC_F_NEXT, DESC_F_WRITE = 1, 2
T_IN, T_OUT = 0, 1
S_OK, S_IOERR, S_UNSUPP = 0, 1, 2


class VirtioBlk(PciFunction):
    def __init__(self, disk: bytearray, device: int = DEVICE_MODERN, queue_max: int = 256,
                 legacy_only: bool = False):
        """``legacy_only``: a transitional device with its modern interface off (QEMU
        disable-modern=on): no virtio capabilities, the legacy registers in I/O BAR 0
        (virtio 1.1, 4.1.4.8), a queue of ``queue_max`` entries the driver cannot resize."""
        super().__init__(VENDOR, DEVICE_TRANSITIONAL if legacy_only else device, pin=1,
                         class_code=0x010000)
        self.legacy = legacy_only
        self.io_bar = 1                                   # I/O, unassigned
        self.disk = disk
        self.queue_max = queue_max
        self.bar = 0
        self.sizing = self.io_sizing = False
        self.status = 0
        self.device_features = VERSION_1
        self.driver_features = 0
        self.dfselect = self.gfselect = 0
        self.queue_size = queue_max
        self.queue = {"desc": 0, "avail": 0, "used": 0, "enable": 0}
        self.used_idx = 0
        self.requests: list[tuple[int, int, int]] = []  # (type, sector, bytes)
        self.machine = None
        self.mmio_windows = (WINDOW,)
        # capabilities: id 09h, next, len, cfg_type, bar, pad[3], offset, length (+mult)
        self.config[0x06] |= 0x10                    # status: capability list
        self.config[0x34] = 0x40
        caps = ((0x40, 1, COMMON, 0x38), (0x54, 3, ISR, 1), (0x68, 4, DEVICE_CFG, 0x20),
                (0x7C, 2, NOTIFY, 4))
        for i, (at, kind, offset, length) in enumerate(caps):
            nxt = caps[i + 1][0] if i + 1 < len(caps) else 0
            size = 20 if kind == 2 else 16
            struct.pack_into("<BBBBBxxxII", self.config, at, 0x09, nxt, size, kind, 4,
                             offset, length)
            if kind == 2:
                struct.pack_into("<I", self.config, at + 16, NOTIFY_MULTIPLIER)
        if legacy_only:
            self.config[0x06] &= ~0x10
            self.config[0x34] = 0
            self.config[0x40:0x90] = bytes(0x50)

    def attach(self, machine) -> "VirtioBlk":
        self.machine = machine
        return self

    # -- configuration space: BAR 4 sizes and assigns ---------------------------------------
    def read(self, register: int, size: int) -> int:
        if register == BAR0 and self.legacy:
            return (~(LEGACY_SIZE - 1) & 0xFFFFFFFF) | 1 if self.io_sizing else self.io_bar
        if BAR4 <= register < BAR4 + 8 and self.legacy:
            return 0
        if BAR4 <= register < BAR4 + 8:
            low = (~(BAR_SIZE - 1) & 0xFFFFFFFF) if self.sizing else self.bar
            raw = struct.pack("<II", low | BAR_FLAGS, 0)
            return int.from_bytes(raw[register - BAR4:register - BAR4 + size], "little")
        return super().read(register, size)

    def write(self, register: int, size: int, value: int) -> None:
        if register == BAR0 and size == 4 and self.legacy:
            self.writes.append((register, size, value))
            self.io_sizing = value == 0xFFFFFFFF
            if not self.io_sizing:
                self.io_bar = (value & 0xFFFC & ~(LEGACY_SIZE - 1)) | 1
            return
        if register == BAR4 and size == 4:
            self.writes.append((register, size, value))
            self.sizing = value == 0xFFFFFFFF
            if not self.sizing:
                self.bar = value & ~(BAR_SIZE - 1) & 0xFFFFFFFF
            return
        super().write(register, size, value)

    @property
    def memory_enabled(self) -> bool:
        return bool(self.config[0x04] & 2)

    # -- the Machine's device interface: no ports, BAR 4 ---------------------------------
    def _legacy_register(self, port: int) -> int | None:
        base = self.io_bar & 0xFFFC
        if not self.legacy or not base or not self.config[0x04] & 1:
            return None
        return port - base if base <= port < base + LEGACY_SIZE else None

    def port_read(self, port: int, size: int) -> int | None:
        reg = self._legacy_register(port)
        if reg is None:
            return None
        if reg >= 0x14:
            raw = struct.pack("<Q", len(self.disk) // 512).ljust(LEGACY_SIZE - 0x14, b"\0")
            return int.from_bytes(raw[reg - 0x14:reg - 0x14 + size], "little")
        return {0x00: 0, 0x08: self.queue["desc"] >> 12, 0x0C: self.queue_max,
                0x12: self.status}.get(reg, 0)

    def port_write(self, port: int, size: int, value: int) -> bool:
        reg = self._legacy_register(port)
        if reg is None:
            return False
        if reg == 0x12:
            if value == 0:
                self.reset()
            self.status = value
        elif reg == 0x04:
            self.driver_features = value
        elif reg == 0x08:
            # legacy layout (virtio 1.1, 2.6.2): avail after the descriptors, used on the
            # next 4 KiB boundary
            n, base = self.queue_max, value << 12
            used = (base + 16 * n + 6 + 2 * n + 0xFFF) & ~0xFFF
            self.queue = {"desc": base, "avail": base + 16 * n, "used": used,
                          "enable": int(bool(value))}
            self.queue_size = n
        elif reg == 0x10:
            self.notified()
        return True

    # -- BAR 4 ---------------------------------------------------------------------------
    def _offset(self, address: int) -> int | None:
        if not self.bar or not self.memory_enabled:
            return None
        if self.bar <= address < self.bar + BAR_SIZE:
            return address - self.bar
        return None

    def mmio_read(self, address: int, size: int) -> int | None:
        off = self._offset(address)
        if off is None:
            return None
        if DEVICE_CFG <= off < DEVICE_CFG + 8:
            raw = struct.pack("<Q", len(self.disk) // 512)
            return int.from_bytes(raw[off - DEVICE_CFG:off - DEVICE_CFG + size], "little")
        regs = {0x00: self.dfselect, 0x04: (self.device_features >> (32 * self.dfselect))
                & 0xFFFFFFFF, 0x08: self.gfselect, 0x12: 1, 0x14: self.status,
                0x16: 0, 0x18: self.queue_size, 0x1C: self.queue["enable"], 0x1E: 0}
        return regs.get(off, 0) & ((1 << (8 * size)) - 1)

    def mmio_write(self, address: int, size: int, value: int) -> bool:
        off = self._offset(address)
        if off is None:
            return False
        if off == 0x14:
            if value == 0:
                self.reset()
            elif value & STATUS_FEATURES_OK and self.driver_features & ~self.device_features:
                self.status = value & ~STATUS_FEATURES_OK
            else:
                self.status = value
        elif off == 0x00:
            self.dfselect = value
        elif off == 0x08:
            self.gfselect = value
        elif off == 0x0C:
            mask = 0xFFFFFFFF << (32 * self.gfselect)
            self.driver_features = (self.driver_features & ~mask) | (value << (32 * self.gfselect))
        elif off == 0x18:
            self.queue_size = min(value, self.queue_max)
        elif off == 0x1C:
            self.queue["enable"] = value
        elif off in (0x20, 0x28, 0x30):
            self.queue[{0x20: "desc", 0x28: "avail", 0x30: "used"}[off]] = value
        elif off == NOTIFY:
            self.notified()
        return True

    def reset(self) -> None:
        self.status = 0
        self.driver_features = 0
        self.queue_size = self.queue_max
        self.queue = {"desc": 0, "avail": 0, "used": 0, "enable": 0}
        self.used_idx = 0

    # -- the queue -----------------------------------------------------------------------
    def notified(self) -> None:
        m, q = self.machine, self.queue
        assert m is not None and q["enable"] and self.status & 4, "queue not ready"
        n = self.queue_size
        avail_idx = struct.unpack("<H", m.read(q["avail"] + 2, 2))[0]
        while self.used_idx != avail_idx:
            slot = self.used_idx % n
            head = struct.unpack("<H", m.read(q["avail"] + 4 + 2 * slot, 2))[0]
            chain, i = [], head
            while True:
                addr, length, flags, nxt = struct.unpack("<QIHH", m.read(q["desc"] + 16 * i, 16))
                chain.append((addr, length, flags))
                if not flags & DESC_F_NEXT:
                    break
                i = nxt
            written = self.execute(chain)
            m.write(q["used"] + 4 + 8 * (self.used_idx % n), struct.pack("<II", head, written))
            self.used_idx = (self.used_idx + 1) & 0xFFFF
            m.write(q["used"] + 2, struct.pack("<H", self.used_idx))

    def execute(self, chain) -> int:
        m = self.machine
        (haddr, _, _), *data, (saddr, _, _) = chain
        kind, _, sector = struct.unpack("<IIQ", m.read(haddr, 16))
        total = sum(length for _, length, _ in data)
        start = sector * 512
        self.requests.append((kind, sector, total))
        status, written = S_OK, 1
        if kind not in (T_IN, T_OUT):
            status = S_UNSUPP
        elif start + total > len(self.disk):
            status = S_IOERR
        else:
            for addr, length, flags in data:
                if kind == T_IN:
                    assert flags & DESC_F_WRITE, "read into a descriptor the device may not write"
                    m.write(addr, self.disk[start:start + length])
                    written += length
                else:
                    self.disk[start:start + length] = m.read(addr, length)
                start += length
        m.write(saddr, bytes([status]))
        return written
