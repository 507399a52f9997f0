"""A simulated AHCI controller (Serial ATA AHCI 1.3.1) with ATA disks, for
:class:`~.emulator.Machine` on a :class:`~.pci.PciHost`, as QEMU's ICH9 AHCI behaves
(hw/ide/ahci.c): ABAR in BAR 5 (reads 0 until assigned), a port's signature latched when
its FIS reception is switched on, commands of slot 0 run synchronously on the PxCI write,
each ending with a D2H register FIS in the received-FIS area.  Commands: IDENTIFY DEVICE,
READ DMA EXT, WRITE DMA EXT; each is counted in ``requests`` as (command, lba, bytes).

    ahci = Ahci({0: bytearray(image)})          # port -> disk; None: an ATAPI drive
    host.add(0x1F, 2, ahci)
    m = Machine(linked, devices=(host, ahci)); ahci.attach(m)
"""

from __future__ import annotations

import struct

from .pci import PciFunction

BAR5, ABAR_SIZE = 0x24, 0x1000
WINDOW = (0xE000_0000, 0x0100_0000)
SIG_ATA, SIG_ATAPI = 0x00000101, 0xEB140101
CMD_ST, CMD_FRE = 0x1, 0x10
IDENTIFY, READ_DMA_EXT, WRITE_DMA_EXT = 0xEC, 0x25, 0x35


class Ahci(PciFunction):
    def __init__(self, disks: dict):
        super().__init__(0x8086, 0x2922, pin=1, class_code=0x010601)
        self.disks = disks
        self.bar = 0
        self.sizing = False
        self.ghc = 0
        self.ports = {n: {"clb": 0, "fb": 0, "cmd": 0, "sig": 0xFFFFFFFF, "ci": 0}
                      for n in range(6)}
        self.requests: list[tuple[int, int, int]] = []
        self.machine = None
        self.mmio_windows = (WINDOW,)

    def attach(self, machine) -> "Ahci":
        self.machine = machine
        return self

    def port_read(self, port: int, size: int) -> None:
        return None

    def port_write(self, port: int, size: int, value: int) -> bool:
        return False

    # -- configuration space: BAR 5 --------------------------------------------------------
    def read(self, register: int, size: int) -> int:
        if register == BAR5:
            return (~(ABAR_SIZE - 1) & 0xFFFFFFFF) if self.sizing else self.bar
        return super().read(register, size)

    def write(self, register: int, size: int, value: int) -> None:
        if register == BAR5 and size == 4:
            self.writes.append((register, size, value))
            self.sizing = value == 0xFFFFFFFF
            if not self.sizing:
                self.bar = value & ~(ABAR_SIZE - 1) & 0xFFFFFFFF
            return
        super().write(register, size, value)

    def _where(self, address: int):
        if not self.bar or not self.config[0x04] & 2:
            return None
        if not self.bar <= address < self.bar + ABAR_SIZE:
            return None
        off = address - self.bar
        if off < 0x100:
            return None, off
        port = (off - 0x100) >> 7
        return (port, (off - 0x100) & 0x7F) if port in self.ports else None

    # -- ABAR ------------------------------------------------------------------------------
    def mmio_read(self, address: int, size: int) -> int | None:
        where = self._where(address)
        if where is None:
            return None
        port, reg = where
        if port is None:
            return {0x04: self.ghc, 0x0C: (1 << len(self.ports)) - 1}.get(reg, 0)
        p = self.ports[port]
        present = port in self.disks
        return {0x00: p["clb"], 0x08: p["fb"], 0x18: p["cmd"], 0x24: p["sig"],
                0x28: 0x113 if present else 0, 0x38: p["ci"]}.get(reg, 0)

    def mmio_write(self, address: int, size: int, value: int) -> bool:
        where = self._where(address)
        if where is None:
            return False
        port, reg = where
        if port is None:
            if reg == 0x04:
                self.ghc = value
            return True
        p = self.ports[port]
        if reg in (0x00, 0x08):
            p["clb" if reg == 0 else "fb"] = value
        elif reg == 0x18:
            p["cmd"] = value
            if value & CMD_FRE and port in self.disks:
                p["sig"] = SIG_ATAPI if self.disks[port] is None else SIG_ATA
        elif reg == 0x38 and value & 1:
            assert p["cmd"] & CMD_ST and p["cmd"] & CMD_FRE, "command issued on a stopped port"
            self.execute(port, p)
        return True

    def execute(self, port: int, p: dict) -> None:
        m, disk = self.machine, self.disks[port]
        flags, _, ctba = struct.unpack("<IIQ", m.read(p["clb"], 16))
        fis = m.read(ctba, 16)
        command = fis[2]
        lba = int.from_bytes(fis[4:7] + fis[8:11], "little")
        count = struct.unpack_from("<H", fis, 12)[0]
        prds = flags >> 16
        status = 0x50
        self.requests.append((command, lba, count * 512))
        data = b""
        if command == IDENTIFY:
            ident = bytearray(512)
            struct.pack_into("<IQ", ident, 120, min(len(disk) // 512, 0x0FFFFFFF), 0)
            struct.pack_into("<Q", ident, 200, len(disk) // 512)
            data = bytes(ident)
        elif command == READ_DMA_EXT and (lba + count) * 512 <= len(disk):
            data = bytes(disk[lba * 512:(lba + count) * 512])
        elif command != WRITE_DMA_EXT or (lba + count) * 512 > len(disk):
            status = 0x51
        offset = 0
        for i in range(prds):
            dba, _, _, dbc = struct.unpack("<IIII", m.read(ctba + 0x80 + 16 * i, 16))
            length = (dbc & 0x3FFFFF) + 1
            if status == 0x50 and command == WRITE_DMA_EXT:
                disk[lba * 512 + offset:lba * 512 + offset + length] = m.read(dba, length)
            elif status == 0x50:
                m.write(dba, data[offset:offset + length])
            offset += length
        m.write(p["fb"] + 0x40, bytes([0x34, 0, status, 0]))
