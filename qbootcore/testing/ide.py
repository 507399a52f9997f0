"""A simulated PCI IDE controller in compatibility mode (PIIX3-like, class 0101h) with a
primary master disk, for :class:`~.emulator.Machine` on a :class:`~.pci.PciHost`: the task
file at 1F0h-1F7h/3F6h with LBA48's two-deep registers (ATA8-ACS 4.16), IDENTIFY by PIO,
READ/WRITE DMA EXT by bus mastering (SFF-8038i) from the I/O BAR 4 the firmware assigns.
A DMA runs at once when the bus master is started; as in QEMU with nIEN set, it clears
ACTIVE and leaves the interrupt flag alone (hw/ide/pci.c).  ``requests`` lists
(command, lba, bytes).

    ide = Ide(bytearray(image))
    host.add(1, 1, ide)
    m = Machine(linked, devices=(host, ide)); ide.attach(m)
"""

from __future__ import annotations

import struct

from .pci import PciFunction

BAR4 = 0x20
TASK = {0x1F2: "count", 0x1F3: "lba0", 0x1F4: "lba1", 0x1F5: "lba2"}
IDENTIFY, READ_DMA_EXT, WRITE_DMA_EXT = 0xEC, 0x25, 0x35
READY, DRQ, ERR = 0x50, 0x08, 0x01


class Ide(PciFunction):
    def __init__(self, disk: bytearray | None):
        super().__init__(0x8086, 0x7010, class_code=0x010180)
        self.disk = disk
        self.bar = 1                                  # I/O, unassigned
        self.regs = {name: [0, 0] for name in TASK.values()}   # [previous, current]
        self.status = READY if disk is not None else 0
        self.pio = bytearray()
        self.bm = {"cmd": 0, "status": 0, "prdt": 0}
        self.pending: tuple[int, int, int] | None = None
        self.requests: list[tuple[int, int, int]] = []
        self.machine = None

    def attach(self, machine) -> "Ide":
        self.machine = machine
        return self

    def read(self, register: int, size: int) -> int:
        if register == BAR4:
            return self.bar
        return super().read(register, size)

    def write(self, register: int, size: int, value: int) -> None:
        if register == BAR4 and size == 4:
            self.writes.append((register, size, value))
            self.bar = (value & 0xFFF0) | 1
            return
        super().write(register, size, value)

    @property
    def bmide(self) -> int | None:
        base = self.bar & 0xFFFC
        return base if base and self.config[0x04] & 1 else None

    # -- ports -----------------------------------------------------------------------------
    def port_read(self, port: int, size: int) -> int | None:
        if port == 0x1F7 or port == 0x3F6:
            return 0xFF if self.disk is None and port == 0x1F7 and not self.status else self.status
        if port == 0x1F0:
            word = int.from_bytes(self.pio[:2], "little")
            del self.pio[:2]
            if not self.pio:
                self.status = READY
            return word
        if self.bmide is not None and self.bmide <= port < self.bmide + 8:
            reg = port - self.bmide
            return {0: self.bm["cmd"], 2: self.bm["status"], 4: self.bm["prdt"]}.get(reg, 0)
        return None

    def port_write(self, port: int, size: int, value: int) -> bool:
        if port in TASK:
            reg = self.regs[TASK[port]]
            reg[0], reg[1] = reg[1], value & 0xFF
            return True
        if port in (0x1F6, 0x3F6):
            return True
        if port == 0x1F7:
            self.command(value)
            return True
        if self.bmide is not None and self.bmide <= port < self.bmide + 8:
            reg = port - self.bmide
            if reg == 0:
                start = value & 1 and not self.bm["cmd"] & 1
                self.bm["cmd"] = value
                if start:
                    self.bm["status"] |= 1
                    self.dma(bool(value & 8))
            elif reg == 2:
                self.bm["status"] &= ~(value & 6)
            elif reg == 4:
                self.bm["prdt"] = value
            return True
        return False

    def command(self, value: int) -> None:
        r = self.regs
        lba = (r["lba0"][1] | r["lba1"][1] << 8 | r["lba2"][1] << 16 | r["lba0"][0] << 24
               | r["lba1"][0] << 32 | r["lba2"][0] << 40)
        count = r["count"][0] << 8 | r["count"][1]
        if value == IDENTIFY:
            ident = bytearray(512)
            struct.pack_into("<Q", ident, 200, len(self.disk) // 512)
            self.pio, self.status = ident, READY | DRQ
            self.requests.append((value, 0, 512))
        elif value in (READ_DMA_EXT, WRITE_DMA_EXT):
            self.pending = (value, lba, count * 512)
            self.requests.append(self.pending)
        else:
            self.status = READY | ERR

    def dma(self, to_memory: bool) -> None:
        m = self.machine
        command, lba, total = self.pending
        error = (lba * 512 + total > len(self.disk)) or to_memory != (command == READ_DMA_EXT)
        at, offset = self.bm["prdt"], 0
        while not error:
            address, count, flags = struct.unpack("<IHH", m.read(at, 8))
            length = count or 0x10000
            assert (address & 0xFFFF) + length <= 0x10000, "a PRD crosses a 64 KiB boundary"
            start = lba * 512 + offset
            if to_memory:
                m.write(address, bytes(self.disk[start:start + length]))
            else:
                self.disk[start:start + length] = m.read(address, length)
            offset += length
            at += 8
            if flags & 0x8000:
                break
        error = error or offset != total
        self.status = READY | (ERR if error else 0)
        self.bm["status"] = (self.bm["status"] & ~1) | (2 if error else 0)
        self.pending = None
