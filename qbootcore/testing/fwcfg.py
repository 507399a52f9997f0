"""A simulated QEMU fw_cfg device (QEMU docs/specs/fw_cfg.rst), for :mod:`.emulator`.

It implements what the firmware uses: the selector and data ports, the file directory,
and the DMA interface (control bits READ, SKIP, SELECT, WRITE and ERROR).  Writes through
DMA land in the selected item's bytes (``written`` keeps them), as QEMU's writable files do.
"""

from __future__ import annotations

import struct

SEL, DATA, DMA_HI, DMA_LO = 0x510, 0x511, 0x514, 0x518
CTL_ERROR, CTL_READ, CTL_SKIP, CTL_SELECT, CTL_WRITE = 1, 2, 4, 8, 16
FILE_DIR, FIRST_FILE = 0x19, 0x20
SIGNATURE, ID = 0x00, 0x01


class FwCfg:
    def __init__(self, dma: bool = True):
        self.dma = dma
        self.items: dict[int, bytearray] = {SIGNATURE: bytearray(b"QEMU"),
                                            ID: bytearray(struct.pack("<I", 3 if dma else 1))}
        self.files: dict[str, int] = {}
        self.selector = 0
        self.offset = 0
        self.dma_high = 0
        self.transfers: list[tuple[int, int, int]] = []  # (control, selector, length)

    # -- content ------------------------------------------------------------------------
    def add_item(self, key: int, data: bytes) -> None:
        self.items[key] = bytearray(data)

    def add_u32(self, key: int, value: int) -> None:
        self.add_item(key, struct.pack("<I", value))

    def add_file(self, name: str, data: bytes) -> int:
        key = self.files.get(name, FIRST_FILE + len(self.files))
        self.files[name] = key
        self.items[key] = bytearray(data)
        self._rebuild_dir()
        return key

    def file(self, name: str) -> bytes:
        return bytes(self.items[self.files[name]])

    def _rebuild_dir(self) -> None:
        out = struct.pack(">I", len(self.files))
        for name, key in self.files.items():
            out += struct.pack(">IHH56s", len(self.items[key]), key, 0, name.encode())
        self.items[FILE_DIR] = bytearray(out)

    # -- port I/O -------------------------------------------------------------------------
    def port_read(self, port: int, size: int) -> int | None:
        if port == DATA:
            item = self.items.get(self.selector, b"")
            value = item[self.offset] if self.offset < len(item) else 0
            self.offset += 1
            return value
        return None

    def port_write(self, port: int, size: int, value: int, mem) -> bool:
        if port == SEL:
            self.selector, self.offset = value & 0xFFFF, 0
            return True
        if port in (DMA_HI, DMA_LO) and self.dma:
            # the 64-bit register is big-endian: the CPU's little-endian dword is swapped
            half = int.from_bytes(value.to_bytes(4, "little"), "big")
            if port == DMA_HI:
                self.dma_high = half
            else:
                self._dma((self.dma_high << 32) | half, mem)
                self.dma_high = 0
            return True
        return port in (SEL, DATA, DMA_HI, DMA_LO)

    def _dma(self, addr: int, mem) -> None:
        control, length, address = struct.unpack(">IIQ", mem.read(addr, 16))
        if control & CTL_SELECT:
            self.selector, self.offset = control >> 16, 0
        self.transfers.append((control & 0xFFFF, self.selector, length))
        item = self.items.setdefault(self.selector, bytearray())
        if control & CTL_READ:
            chunk = bytes(item[self.offset:self.offset + length])
            mem.write(address, chunk + bytes(length - len(chunk)))
            self.offset += length
        elif control & CTL_SKIP:
            self.offset += length
        elif control & CTL_WRITE:
            data = mem.read(address, length)
            if self.offset + length > len(item):
                mem.write(addr, struct.pack(">I", CTL_ERROR))
                return
            item[self.offset:self.offset + length] = data
            self.offset += length
        mem.write(addr, struct.pack(">I", 0))
