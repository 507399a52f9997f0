"""16-bit and mode-switching firmware code in the emulator (builds on :mod:`.emulator`).

:class:`BiosMachine` is a :class:`~.emulator.Machine` (same RAM, ROM aliases and devices)
that can also

* run real-mode code: ``int_(vector, **regs)`` calls a BIOS service through the real-mode
  IVT from a two-instruction caller (``int n; hlt``) at 0000:0500, as a real-mode program
  would, and returns every register, segment register and the flags it got back;
  ``near_call16(symbol, **regs)`` near-calls a 16-bit routine of the F-segment (such as
  ``bios16_call32``) from a caller in the F-segment's spare bytes;
* far-call 32-bit entry points that return with ``retf`` (``far_call32``), such as the
  BIOS32 service directory, with the firmware's GDT loaded;
* follow a switch from protected to real mode (``run_to``), e.g. ``enter_real_mode``;
* answer CPUID from a table (``cpuid={(leaf, subleaf): (eax, ebx, ecx, edx)}``) and port
  I/O to a simulated PCI configuration space (:class:`PciConfigSpace`).

unicorn does not deliver interrupts itself: an ``int n`` in real mode is dispatched here
through the IVT in guest memory (FLAGS, CS, IP pushed; IF and TF cleared), so the handler
the firmware installed is the one that runs.  Anything else that raises an exception stops
the run with :class:`CpuException`.  After each real-mode run the CPU is put back into the
firmware's flat protected mode, so ``call()`` keeps working.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from unicorn import UC_HOOK_INSN, UC_HOOK_INTR, UcError
from unicorn import x86_const as X

from .emulator import RETURN_MAGIC, Access, Machine

SEGMENTS = {name: getattr(X, f"UC_X86_REG_{name.upper()}")
            for name in ("cs", "ds", "es", "ss", "fs", "gs")}
GPRS = {name: getattr(X, f"UC_X86_REG_{name.upper()}") for name in
        ("eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eip", "eflags")}
CR0_PE = 1
FLAGS_IF, FLAGS_TF = 0x200, 0x100
SEL_CODE32, SEL_DATA32 = 0x10, 0x18  # firmware/x86.inc
INT_OPCODE = 0xCD


class CpuException(RuntimeError):
    """The emulated CPU raised an exception (not a software INT): vector and where."""


@dataclass
class RealResult:
    regs: dict[str, int]      # 32-bit general registers, eip, eflags
    segs: dict[str, int]      # cs, ds, es, ss, fs, gs selectors (segment values in real mode)
    cr0: int = 0
    accesses: list[Access] = field(default_factory=list)

    @property
    def cf(self) -> bool:
        return bool(self.regs["eflags"] & 1)

    @property
    def zf(self) -> bool:
        return bool(self.regs["eflags"] & 0x40)

    def reg16(self, name: str) -> int:
        return self.regs[name] & 0xFFFF


class PciConfigSpace:
    """PCI configuration mechanism #1 (0xCF8/0xCFC-0xCFF) over simulated functions.

    ``functions`` maps a bdf (bus << 8 | device << 3 | function) to its 256 bytes; an absent
    function reads as all ones and ignores writes, as on real hardware."""

    ADDRESS, DATA = 0xCF8, 0xCFC

    def __init__(self) -> None:
        self.functions: dict[int, bytearray] = {}
        self.address = 0

    def add(self, bdf: int, vendor: int, device: int) -> bytearray:
        space = bytearray(256)
        struct.pack_into("<HH", space, 0, vendor, device)
        self.functions[bdf] = space
        return space

    def _target(self, port: int, size: int):
        if not self.address & 0x8000_0000:
            return None, 0
        bdf = (self.address >> 8) & 0xFFFF
        return self.functions.get(bdf), (self.address & 0xFC) + (port - self.DATA)

    def port_read(self, port: int, size: int) -> int | None:
        if port == self.ADDRESS and size == 4:
            return self.address
        if self.DATA <= port < self.DATA + 4:
            space, reg = self._target(port, size)
            if space is None:
                return (1 << (8 * size)) - 1
            return int.from_bytes(space[reg:reg + size], "little")
        return None

    def port_write(self, port: int, size: int, value: int) -> bool:
        if port == self.ADDRESS and size == 4:
            self.address = value
            return True
        if self.DATA <= port < self.DATA + 4:
            space, reg = self._target(port, size)
            if space is not None:
                space[reg:reg + size] = value.to_bytes(size, "little")
            return True
        return False


class BiosMachine(Machine):
    CALLER = 0x0500      # real-mode caller: int n; hlt (free memory above the BDA)
    STACK_TOP = 0x7000   # real-mode SS:SP = 0000:7000 unless given

    def __init__(self, linked, fw_cfg=None, pci: PciConfigSpace | None = None,
                 cpuid: dict | None = None, **kw):
        super().__init__(linked, fw_cfg, **kw)
        self.pci = pci
        self.cpuid = dict(cpuid or {})
        self.exception: tuple[int, int] | None = None
        self.uc.hook_add(UC_HOOK_INTR, self._interrupt)
        self.uc.hook_add(UC_HOOK_INSN, self._cpuid, None, 1, 0, X.UC_X86_INS_CPUID)

    # -- devices --------------------------------------------------------------------------
    def _in(self, uc, port, size, user):
        if self.pci is not None:
            value = self.pci.port_read(port, size)
            if value is not None:
                self.accesses.append(Access("in", port, size, value))
                return value
        return super()._in(uc, port, size, user)

    def _out(self, uc, port, size, value, user):
        if self.pci is not None and self.pci.port_write(port, size, value):
            self.accesses.append(Access("out", port, size, value))
            return
        super()._out(uc, port, size, value, user)

    def _cpuid(self, uc, user) -> bool:
        leaf, sub = uc.reg_read(X.UC_X86_REG_EAX), uc.reg_read(X.UC_X86_REG_ECX)
        values = self.cpuid.get((leaf, sub), self.cpuid.get(leaf))
        if values is None:
            return False  # the emulator's own answer
        for reg, value in zip(("eax", "ebx", "ecx", "edx"), values):
            uc.reg_write(GPRS[reg], value)
        return True

    # -- interrupts -----------------------------------------------------------------------
    def _interrupt(self, uc, vector, user):
        eip = uc.reg_read(X.UC_X86_REG_EIP)
        cs = uc.reg_read(X.UC_X86_REG_CS)
        real = not uc.reg_read(X.UC_X86_REG_CR0) & CR0_PE
        if real and self.read(cs * 16 + eip - 2, 2) == bytes([INT_OPCODE, vector]):
            flags = uc.reg_read(X.UC_X86_REG_EFLAGS)
            ss = uc.reg_read(X.UC_X86_REG_SS)
            sp = (uc.reg_read(X.UC_X86_REG_ESP) - 6) & 0xFFFF
            self.write(ss * 16 + sp, struct.pack("<HHH", eip & 0xFFFF, cs, flags & 0xFFFF))
            uc.reg_write(X.UC_X86_REG_ESP, sp)
            uc.reg_write(X.UC_X86_REG_EFLAGS, flags & ~(FLAGS_IF | FLAGS_TF))
            offset, segment = struct.unpack("<HH", self.read(vector * 4, 4))
            uc.reg_write(X.UC_X86_REG_CS, segment)
            uc.reg_write(X.UC_X86_REG_EIP, offset)
            return
        self.exception = (vector, (cs << 4) + eip if real else eip)
        uc.emu_stop()

    # -- modes ----------------------------------------------------------------------------
    def protected_mode(self) -> None:
        """The firmware's flat 32-bit protected mode: its GDT, CS=0x10, data 0x18."""
        uc = self.uc
        gdt = self.sym("gdt")
        limit = struct.unpack("<H", self.read(self.sym("gdt_descriptor"), 2))[0]
        uc.reg_write(X.UC_X86_REG_GDTR, (0, gdt, limit, 0))
        uc.reg_write(X.UC_X86_REG_CR0, uc.reg_read(X.UC_X86_REG_CR0) | CR0_PE)
        uc.reg_write(X.UC_X86_REG_CS, SEL_CODE32)
        for name in ("ds", "es", "ss", "fs", "gs"):
            uc.reg_write(SEGMENTS[name], SEL_DATA32)

    def real_mode(self, **segs: int) -> None:
        """Real mode with the given segment registers (default 0)."""
        uc = self.uc
        uc.reg_write(X.UC_X86_REG_CR0, uc.reg_read(X.UC_X86_REG_CR0) & ~CR0_PE)
        uc.reg_write(X.UC_X86_REG_IDTR, (0, 0, 0x3FF, 0))
        for name, reg in SEGMENTS.items():
            uc.reg_write(reg, segs.get(name, 0))

    def _result(self, start: int) -> RealResult:
        uc = self.uc
        return RealResult({n: uc.reg_read(r) for n, r in GPRS.items()},
                          {n: uc.reg_read(r) for n, r in SEGMENTS.items()},
                          uc.reg_read(X.UC_X86_REG_CR0), self.accesses[start:])

    def _run(self, begin: int, until: int, max_insns: int, what: str) -> None:
        self.exception = None
        try:
            self.uc.emu_start(begin, until, count=max_insns)
        except UcError as exc:
            raise RuntimeError(f"{what}: emulation failed at "
                               f"{self.uc.reg_read(X.UC_X86_REG_EIP):#x}: {exc}") from None
        if self.exception:
            vector, where = self.exception
            raise CpuException(f"{what}: CPU exception {vector} at {where:#x}")

    # -- running --------------------------------------------------------------------------
    def int_(self, vector: int, *, ds: int = 0, es: int = 0, ss: int = 0, fs: int = 0,
             gs: int = 0, sp: int = STACK_TOP, eflags: int = 0x2, max_insns: int = 1_000_000,
             **regs: int) -> RealResult:
        """Run ``int vector`` from real mode with the given registers; return what the
        handler left (regs['eflags'] holds the FLAGS the caller gets back)."""
        self.write(self.CALLER, bytes([INT_OPCODE, vector, 0xF4]))  # int n; hlt
        return self._run_caller(2, f"int {vector:#x}", dict(ds=ds, es=es, ss=ss, fs=fs, gs=gs),
                                sp, eflags, max_insns, regs)

    def near_call16(self, address: int | str, *, ds: int = 0, es: int = 0, ss: int = 0,
                    fs: int = 0, gs: int = 0, sp: int = STACK_TOP, eflags: int = 0x2,
                    max_insns: int = 1_000_000, **regs: int) -> RealResult:
        """Near-call a 16-bit routine in the F-segment (CS = F000h) from real mode with the
        given registers: ``call far F000:stub; hlt`` at 0000:0500, and ``call rel16; retf``
        as the stub, in the last unused bytes of the fseg region."""
        address = address if isinstance(address, int) else self.sym(address)
        stub = self.NEAR_STUB
        code = bytes([0xE8]) + struct.pack("<h", address - (stub + 3)) + b"\xCB"
        if self.read(stub, 4) not in (bytes(4), b"\xff" * 4, code):
            raise RuntimeError(f"{stub:#x} is not free for the near-call stub")
        self.write(stub, code)
        self.write(self.CALLER, bytes([0x9A]) + struct.pack("<HH", stub - 0xF0000, 0xF000)
                   + b"\xF4")
        segs = dict(ds=ds, es=es, ss=ss, fs=fs, gs=gs)
        return self._run_caller(5, f"call {address:#x}", segs, sp, eflags, max_insns, regs)

    def _run_caller(self, length: int, what: str, segs: dict[str, int], sp: int, eflags: int,
                    max_insns: int, regs: dict[str, int]) -> RealResult:
        """Run the ``length`` bytes of caller code written at CALLER (ending before its
        ``hlt``) in real mode with the segment registers ``segs``, SP, FLAGS and ``regs``;
        what it left, or RuntimeError when it stopped anywhere else.  Back in protected
        mode after."""
        uc = self.uc
        start = len(self.accesses)
        self.real_mode(**segs)
        try:
            for name, value in regs.items():
                uc.reg_write(GPRS[name], value & 0xFFFFFFFF)
            uc.reg_write(X.UC_X86_REG_ESP, sp)
            uc.reg_write(X.UC_X86_REG_EFLAGS, eflags)
            self._run(self.CALLER, self.CALLER + length, max_insns, what)
            result = self._result(start)
            here = result.segs["cs"] * 16 + (result.regs["eip"] & 0xFFFF)
            if here != self.CALLER + length:
                raise RuntimeError(f"{what} did not return (stopped at {here:#x})")
            return result
        finally:
            self.protected_mode()

    NEAR_STUB = 0xFFFEC  # the last bytes of the fseg region (ROM offset 0xFFEC)

    def far_call32(self, address: int | str, max_insns: int = 1_000_000,
                   **regs: int) -> RealResult:
        """Far-call a 32-bit routine that returns with ``retf``, in the firmware's flat
        protected mode (CS = 0x10), with the given registers."""
        uc = self.uc
        self.protected_mode()
        address = address if isinstance(address, int) else self.sym(address)
        esp = regs.pop("esp", self.sym("stack_top")) - 8
        self.write(esp, struct.pack("<II", RETURN_MAGIC, SEL_CODE32))
        start = len(self.accesses)
        for name, value in regs.items():
            uc.reg_write(GPRS[name], value & 0xFFFFFFFF)
        uc.reg_write(X.UC_X86_REG_ESP, esp)
        uc.reg_write(X.UC_X86_REG_EFLAGS, regs.get("eflags", 0x2))
        self._run(address, RETURN_MAGIC, max_insns, f"far call {address:#x}")
        result = self._result(start)
        if result.regs["eip"] != RETURN_MAGIC or result.segs["cs"] != SEL_CODE32:
            raise RuntimeError(f"far call {address:#x} did not return")
        return result

    def run_to(self, symbol: int | str, target: int, max_insns: int = 1_000_000,
               **regs: int) -> RealResult:
        """Call a 32-bit routine that never returns (e.g. ``enter_real_mode``) in the
        firmware's protected mode and run until the CPU reaches linear address ``target``
        (in whatever mode); return the state there.  The CPU is left in that state."""
        self.protected_mode()
        start = len(self.accesses)
        self.exception = None
        try:
            result = self.call(symbol, stop_at=(target,), max_insns=max_insns, **regs)
        except RuntimeError:
            if self.exception:
                vector, where = self.exception
                raise CpuException(f"{symbol}: CPU exception {vector} at {where:#x}") from None
            raise
        if result.entered != target:
            raise RuntimeError(f"{symbol} did not reach {target:#x}")
        return self._result(start)
