"""Call firmware routines of a built ROM in unicorn, in 32-bit flat protected mode.

``Machine(linked)`` maps RAM, the ROM at both of its aliases and the firmware's GDT, and
routes port I/O to simulated devices (a :class:`~.fwcfg.FwCfg`, the debug console at 0x402
and COM1, and any ``devices`` given, e.g. a :class:`~.pci.PciHost`).  ``call(symbol,
**regs)`` runs a routine until it returns, or until it enters a kernel (``stop_at``), or
raises :class:`Panic` with the message the firmware printed.
Every port and MMIO access is counted in ``accesses``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from unicorn import (UC_ARCH_X86, UC_HOOK_CODE, UC_HOOK_INSN, UC_HOOK_MEM_READ,
                     UC_HOOK_MEM_WRITE, UC_MODE_32, Uc, UcError)
from unicorn import x86_const as X

from ..layout import FSEG_ALIAS, HIGH_ALIAS, ROM_SIZE
from .fwcfg import FwCfg

RAM_SIZE = 512 << 20
RETURN_MAGIC = 0x0000_7FF0  # a return address inside RAM that holds a HLT
DEBUGCON, COM1 = 0x402, 0x3F8
MMIO_WINDOWS = ((0xB000_0000, 0x1000_0000),   # q35 MMCONFIG
                (0xFEE0_0000, 0x1000))         # the local APIC
REGS = {name: getattr(X, f"UC_X86_REG_{name.upper()}") for name in
        ("eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eip", "eflags")}


class Panic(Exception):
    """The firmware halted; the message is what it printed on the debug console."""


@dataclass
class Access:
    kind: str  # "in", "out", "mmio-read", "mmio-write"
    address: int
    size: int
    value: int


@dataclass
class Result:
    regs: dict[str, int]
    entered: int | None = None  # address in stop_at that was reached
    accesses: list[Access] = field(default_factory=list)


class Machine:
    def __init__(self, linked, fw_cfg: FwCfg | None = None, ram_size: int = RAM_SIZE,
                 devices: tuple = ()):
        """``devices``: more simulated devices, asked first for every port access
        (``port_read(port, size)`` -> value or None, ``port_write(port, size, value)`` ->
        handled) and MMIO access in MMIO_WINDOWS (``mmio_read(address, size)`` -> value or
        None, ``mmio_write(address, size, value)`` -> handled); None/False: not theirs."""
        self.linked = linked
        self.devices = tuple(devices)
        self.symbols = linked.symbols
        self.fw_cfg = fw_cfg or FwCfg()
        self.debugcon = bytearray()
        self.serial = bytearray()
        self.mmio: dict[int, int] = {}
        self._uart_lcr = 0
        self.accesses: list[Access] = []
        uc = self.uc = Uc(UC_ARCH_X86, UC_MODE_32)
        uc.mem_map(0, ram_size)
        uc.mem_map(HIGH_ALIAS, ROM_SIZE)
        uc.mem_write(HIGH_ALIAS, linked.rom)
        # The F-segment alias is RAM here: it starts as the ROM's copy, as after shadowing.
        uc.mem_write(FSEG_ALIAS, linked.rom)
        # devices may bring MMIO windows of their own (``mmio_windows``: (base, size)...)
        windows = MMIO_WINDOWS + tuple(dict.fromkeys(
            w for d in self.devices for w in getattr(d, "mmio_windows", ())))
        for base, size in windows:
            uc.mem_map(base, size)
        uc.mem_write(RETURN_MAGIC, b"\xf4")  # hlt
        uc.hook_add(UC_HOOK_INSN, self._in, None, 1, 0, X.UC_X86_INS_IN)
        uc.hook_add(UC_HOOK_INSN, self._out, None, 1, 0, X.UC_X86_INS_OUT)
        for base, size in windows:
            uc.hook_add(UC_HOOK_MEM_READ, self._mmio_read, None, base, base + size - 1)
            uc.hook_add(UC_HOOK_MEM_WRITE, self._mmio_write, None, base, base + size - 1)
        self._halted_at: int | None = None

    # -- devices --------------------------------------------------------------------------
    def _in(self, uc, port, size, user):
        self.accesses.append(Access("in", port, size, 0))
        for device in self.devices:
            value = device.port_read(port, size)
            if value is not None:
                return value
        value = self.fw_cfg.port_read(port, size)
        if value is None:
            # LSR: transmitter empty; any other port no device claims reads as all ones
            value = 0x20 if port == COM1 + 5 else (1 << (8 * size)) - 1
        return value

    def _out(self, uc, port, size, value, user):
        self.accesses.append(Access("out", port, size, value))
        if any(device.port_write(port, size, value) for device in self.devices):
            return
        if port == DEBUGCON:
            self.debugcon.append(value & 0xFF)
        elif port == COM1 + 3:
            self._uart_lcr = value
        elif port == COM1:
            if not self._uart_lcr & 0x80:  # DLAB set: a divisor byte, not a character
                self.serial.append(value & 0xFF)
        else:
            self.fw_cfg.port_write(port, size, value, self)

    def _mmio_read(self, uc, access, address, size, value, user):
        self.accesses.append(Access("mmio-read", address, size, 0))
        for device in self.devices:
            reader = getattr(device, "mmio_read", None)
            value = reader(address, size) if reader else None
            if value is not None:  # the read that follows the hook sees it
                uc.mem_write(address, value.to_bytes(size, "little"))
                return

    def _mmio_write(self, uc, access, address, size, value, user):
        self.accesses.append(Access("mmio-write", address, size, value))
        self.mmio[address] = value
        for device in self.devices:
            writer = getattr(device, "mmio_write", None)
            if writer and writer(address, size, value):
                return

    # -- memory ---------------------------------------------------------------------------
    def read(self, address: int, size: int) -> bytes:
        return bytes(self.uc.mem_read(address, size))

    def write(self, address: int, data: bytes) -> None:
        self.uc.mem_write(address, bytes(data))

    def u32(self, address: int) -> int:
        return struct.unpack("<I", self.read(address, 4))[0]

    def sym(self, name: str) -> int:
        return self.symbols[name]

    # -- running --------------------------------------------------------------------------
    def call(self, symbol: str, stop_at: tuple[int, ...] = (), max_insns: int = 5_000_000,
             **regs: int) -> Result:
        """Call ``symbol`` (a name or an address) and run until it returns."""
        uc = self.uc
        start = len(self.accesses)
        esp = regs.pop("esp", self.sym("stack_top")) - 4
        uc.mem_write(esp, struct.pack("<I", RETURN_MAGIC))
        for name, value in regs.items():
            uc.reg_write(REGS[name], value & 0xFFFFFFFF)
        uc.reg_write(REGS["esp"], esp)
        uc.reg_write(REGS["eflags"], 0x2)  # IF=0, DF=0
        entered = None
        stops = set(stop_at)
        hook = None
        if stops:
            def on_code(uc_, address, size, user):
                nonlocal entered
                if address in stops:
                    entered = address
                    uc_.emu_stop()
            hook = uc.hook_add(UC_HOOK_CODE, on_code)
        address = symbol if isinstance(symbol, int) else self.sym(symbol)
        try:
            uc.emu_start(address, RETURN_MAGIC, count=max_insns)
        except UcError as exc:
            eip = uc.reg_read(REGS["eip"])
            raise RuntimeError(f"emulation failed at {eip:#x}: {exc}") from None
        finally:
            if hook is not None:
                uc.hook_del(hook)
        eip = uc.reg_read(REGS["eip"])
        if entered is None and eip != RETURN_MAGIC:
            message = self.debugcon.decode(errors="replace").strip()
            if message:
                raise Panic(message)
            raise RuntimeError(f"{symbol} did not return (stopped at {eip:#x})")
        return Result({n: uc.reg_read(r) for n, r in REGS.items()}, entered,
                      self.accesses[start:])
