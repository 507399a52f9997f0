"""The optionrom feature (plugins/optionrom) in the emulator: expansion ROMs of simulated PCI
functions (a ROM BAR that sizes and maps like QEMU's) and of a simulated fw_cfg are checked,
copied to C0000h-EFFFFh, their init entries far-called in real mode with AX = bdf, their
PnP BEV/BCV entries recorded; PAM opens and closes the shadow; INT 10h chains to the VGA
BIOS with the teletype still on COM1."""

import struct

import pytest

from qbootcore.build import Selection, build
from qbootcore.layout import REGIONS
from qbootcore.testing import FwCfg, Panic, PciFunction, PciHost
from qbootcore.testing.realmode import BiosMachine

FSEG = 0xF0000
WINDOW = 0xFE000000            # optionrom.inc OPROM_WINDOW
RAM, RESERVED = 1, 2
E820 = [(0, 0x9FC00, RAM), (0x100000, 256 << 20, RAM)]
I440FX, Q35 = (0x8086, 0x1237), (0x8086, 0x29C0)
VGA_IDS, NIC_IDS = (0x1234, 0x1111), (0x8086, 0x100E)
VGA_BDF, NIC_BDF = 2 << 3, 3 << 3
CLASS_VGA, CLASS_NET = 0x030000, 0x020000
AX_SLOT = 0x1F0                # where the test ROMs' init stores the AX it got
INT10_HANDLER = 0x100          # the test VGA ROM's INT 10h handler (an IRET)
BEV = 0x120


def init_code(shrink_to=None, hook_int10=False) -> bytes:
    """Real-mode init entry (hand-assembled): store AX at cs:AX_SLOT, optionally take the
    INT 10h vector and shrink the image, RETF."""
    code = bytes([0x2E, 0xA3]) + struct.pack("<H", AX_SLOT)               # mov cs:[slot], ax
    if hook_int10:
        code += bytes([0x1E, 0x31, 0xF6, 0x8E, 0xDE])                     # push ds; xor si,si; mov ds,si
        code += bytes([0xC7, 0x06, 0x40, 0x00]) + struct.pack("<H", INT10_HANDLER)  # mov [40h], off
        code += bytes([0x8C, 0x0E, 0x42, 0x00])                           # mov [42h], cs
        code += bytes([0x1F])                                             # pop ds
    if shrink_to is not None:
        code += bytes([0x2E, 0xC6, 0x06, 0x02, 0x00, shrink_to])          # mov byte cs:[2], n
    return code + bytes([0xCB])                                           # retf


def option_rom(ids, class_code, units=4, code=b"\xCB", bev=0, bcv=0, code_type=0,
               last=True, fix_sum=True) -> bytearray:
    """An expansion ROM image (PCI Firmware 3.0, 5.1): header, PCIR at 20h, init at 40h
    (a near jump from 3), a PnP header at 60h when there is a BEV or BCV."""
    rom = bytearray(units * 512)
    rom[0:3] = bytes([0x55, 0xAA, units])
    rom[3:5] = bytes([0xEB, 0x40 - 5])
    struct.pack_into("<HH", rom, 0x18, 0x20, 0x60 if (bev or bcv) else 0)
    rom[0x20:0x24] = b"PCIR"
    struct.pack_into("<HHHH", rom, 0x24, ids[0], ids[1], 0, 0x18)
    rom[0x2D:0x30] = class_code.to_bytes(3, "little")
    struct.pack_into("<HHBB", rom, 0x30, units, 0, code_type, 0x80 if last else 0)
    rom[0x40:0x40 + len(code)] = code
    if bev or bcv:
        rom[0x60:0x64] = b"$PnP"
        rom[0x64], rom[0x65] = 1, 2
        struct.pack_into("<H", rom, 0x60 + 0x16, bcv)
        struct.pack_into("<H", rom, 0x60 + 0x1A, bev)
    rom[INT10_HANDLER] = 0xCF                                             # iret
    if fix_sum:
        rom[-1] = (-sum(rom[:-1])) & 0xFF
    return rom


class RomFunction(PciFunction):
    """A PCI function with an expansion ROM BAR that behaves like QEMU's (hw/pci/pci.c):
    the address bits above the ROM's size are writable, bit 0 enables decoding (with memory
    decoding in the command register), and the ROM then appears at that address."""

    def __init__(self, ids, class_code, rom: bytes, **kw):
        super().__init__(*ids, class_code=class_code, **kw)
        self.rom = bytes(rom)
        self.size = 1 << max(11, (len(rom) - 1).bit_length())
        self.machine = None
        self.mapped_at = []        # every address it was enabled at

    def write(self, register, size, value):
        super().write(register, size, value)
        if register == 0x30 and size == 4:
            value = (value & ~(self.size - 1) & 0xFFFFF800) | (value & 1)
            struct.pack_into("<I", self.config, 0x30, value)
            if value & 1:
                address = value & ~1
                self.mapped_at.append(address)
                self.machine.write(address, self.rom)


@pytest.fixture(scope="module")
def pc_rom():
    return build(Selection(board="pc", loaders=["linux"], plugins=["optionrom"]))


def attach_roms(m, bus):
    """Give every RomFunction on the bus and behind its bridges the machine its ROM BAR
    maps into."""
    for fn in bus.functions.values():
        if isinstance(fn, RomFunction):
            fn.machine = m
        elif fn.is_bridge:
            attach_roms(m, fn.secondary)


def boot_to(rom, host, fw, devices, steps, window):
    """A pc boot through `steps` (ending with bios16_install, the step before optionrom_run),
    with the emulator's F-segment holding only what the board's shadowing puts there and
    `window` bytes of ROM BAR space mapped at WINDOW."""
    fw.add_file("etc/e820", b"".join(struct.pack("<QQI", *e) for e in E820))
    m = BiosMachine(rom.linked, fw, devices=devices)
    if window:
        m.uc.mem_map(WINDOW, window)
    attach_roms(m, host)
    m.write(FSEG, bytes(0x10000))
    m.write(REGIONS["fseg"].address(REGIONS["fseg"].start), rom.rom[REGIONS["fseg"].start:])
    for step in steps:
        m.call(step)
    m.protected_mode()      # the firmware's GDT, which the far call's mode switches use
    return m


def boot_to_late(rom, host, fw=None, window=True):
    """optionrom's own ROM BAR window (1 MiB of it mapped unless window is False)."""
    return boot_to(rom, host, fw or FwCfg(), (host,),
                   ("pc_init", "fw_cfg_init", "e820_init", "alloc_init", "core_reserve",
                    "bios16_install"), 1 << 20 if window else 0)


def pc_host(*functions):
    host = PciHost()
    host.add(0, 0, PciFunction(*I440FX))
    host.add(1, 0, PciFunction(0x8086, 0x7000, header_type=0x80))   # PIIX3, multifunction
    for device, fn in functions:
        host.add(device, 0, fn)
    return host


def u16(m, address):
    return struct.unpack("<H", m.read(address, 2))[0]


def ivt(m, vector):
    off, seg = struct.unpack("<HH", m.read(vector * 4, 4))
    return seg, off


def test_vga_bios_first_then_the_nic_with_its_bev(pc_rom):
    vga = RomFunction(VGA_IDS, CLASS_VGA, option_rom(VGA_IDS, CLASS_VGA, units=8,
                      code=init_code(shrink_to=3, hook_int10=True)))
    nic = RomFunction(NIC_IDS, CLASS_NET, option_rom(NIC_IDS, CLASS_NET, units=4,
                      code=init_code(), bev=BEV))
    # the NIC sits before the VGA on the bus: the VGA BIOS still goes first, at C0000h
    host = pc_host((2, nic), (3, vga))
    m = boot_to_late(pc_rom, host)
    m.call("optionrom_run")
    assert m.debugcon == b""
    # the VGA BIOS at C0000h ran with AX = its bdf, and kept 3 * 512 bytes
    assert m.read(0xC0000, 2) == b"\x55\xAA" and u16(m, 0xC0000 + AX_SLOT) == 3 << 3
    assert m.read(0xC0002, 1) == b"\x03"
    # the NIC's ROM right after what the VGA BIOS kept (2 KiB aligned), AX = its bdf
    assert m.read(0xC0800, 2) == b"\x55\xAA" and u16(m, 0xC0800 + AX_SLOT) == 2 << 3
    assert m.u32(m.sym("optionrom_bevs")) == 1
    assert m.u32(m.sym("optionrom_bevs") + 4) == (0xC080 << 16) | BEV
    assert m.u32(m.sym("optionrom_bcvs")) == 0
    # INT 10h: our chain in the F-segment, which goes on to the VGA BIOS's handler
    assert ivt(m, 0x10) == (0xF000, m.sym("optionrom_int10") - FSEG)
    assert m.u32(m.sym("optionrom_vga_vector")) == (0xC000 << 16) | INT10_HANDLER
    # both ROM BARs were mapped at the window and disabled again; the VGA decodes its
    # legacy ranges (I/O and memory), the NIC's command register is as it was
    assert vga.mapped_at == [WINDOW] and nic.mapped_at == [WINDOW]
    assert vga.u32(0x30) & 1 == 0 and nic.u32(0x30) & 1 == 0
    assert vga.config[0x04] & 3 == 3 and nic.config[0x04] & 3 == 0
    # PAM1-PAM6 opened (33h) before and closed read-only (11h) after
    host_bridge = host.function(0)
    pam = [(reg, value) for reg, size, value in host_bridge.writes if 0x5A <= reg <= 0x5F]
    assert [v for r, v in pam] == [0x33] * 6 + [0x11] * 6
    assert sorted({r for r, v in pam}) == list(range(0x5A, 0x60))


def test_teletype_reaches_com1_and_the_vga_bios(pc_rom):
    vga = RomFunction(VGA_IDS, CLASS_VGA, option_rom(VGA_IDS, CLASS_VGA,
                      code=init_code(hook_int10=True)))
    m = boot_to_late(pc_rom, pc_host((2, vga)))
    m.call("optionrom_run")
    # the VGA BIOS's handler is an IRET at C000:0100; run INT 10h AH=0Eh through the IVT
    r = m.int_(0x10, eax=0x0E41)
    assert bytes(m.serial).endswith(b"A")
    assert r.regs["eax"] & 0xFFFF == 0x0E41
    before = len(m.serial)
    m.int_(0x10, eax=0x0003)             # set mode: the VGA BIOS's alone
    assert len(m.serial) == before


@pytest.mark.parametrize("breakage, message", [
    ("checksum", b"optionrom: an option ROM's checksum is wrong; skipped"),
    ("vendor", b"optionrom: a device's ROM names another vendor/device ID"),
    ("signature", b"optionrom: an option ROM has no valid 55AAh header"),
    ("efi-only", b"optionrom: an option ROM has no x86 (legacy BIOS) image"),
])
def test_bad_roms_are_skipped_with_a_warning(pc_rom, breakage, message):
    ids = (0x1AF4, 0x1000) if breakage == "vendor" else NIC_IDS
    image = option_rom(ids, CLASS_NET, code=init_code(), bev=BEV,
                       code_type=3 if breakage == "efi-only" else 0)
    if breakage == "checksum":
        image[0x1FE] ^= 0x5A
    if breakage == "signature":
        image[0] = 0
    nic = RomFunction(NIC_IDS, CLASS_NET, image)
    m = boot_to_late(pc_rom, pc_host((3, nic)))
    m.call("optionrom_run")
    assert message in m.debugcon, m.debugcon
    assert m.debugcon.count(b"warning") == 1
    assert m.u32(m.sym("optionrom_bevs")) == 0
    assert u16(m, 0xC0000 + AX_SLOT) == 0          # never ran
    assert nic.u32(0x30) & 1 == 0                  # unmapped again


def test_the_x86_image_after_an_efi_image(pc_rom):
    """A ROM holding an EFI image first and the x86 one second (PCI Firmware 3.0, 5.1)."""
    efi = option_rom(NIC_IDS, CLASS_NET, units=2, code_type=3, last=False)
    x86 = option_rom(NIC_IDS, CLASS_NET, units=2, code=init_code(), bev=BEV)
    nic = RomFunction(NIC_IDS, CLASS_NET, efi + x86)
    m = boot_to_late(pc_rom, pc_host((3, nic)))
    m.call("optionrom_run")
    assert m.debugcon == b""
    assert m.read(0xC0000, 0x400) == bytes(x86[:0x1F0]) + m.read(0xC01F0, 2) + bytes(x86[0x1F2:])
    assert u16(m, 0xC0000 + AX_SLOT) == 3 << 3
    assert m.u32(m.sym("optionrom_bevs") + 4) == (0xC000 << 16) | BEV


def test_fw_cfg_vgaroms_and_genroms(pc_rom):
    """vgaroms/* is the VGA BIOS (AX = the function with its IDs); genroms/* run after the
    device ROMs, except QEMU's -kernel loaders (this ROM's loaders boot -kernel)."""
    fw = FwCfg()
    fw.add_file("vgaroms/vgabios-test.bin", bytes(option_rom(VGA_IDS, CLASS_VGA,
                code=init_code(hook_int10=True))))
    fw.add_file("genroms/linuxboot_dma.bin", bytes(option_rom(NIC_IDS, CLASS_NET,
                code=init_code(), bev=0x200)))
    legacy = option_rom(NIC_IDS, CLASS_NET, units=2, code=init_code(), bcv=0x180)
    legacy[0x18:0x1A] = b"\0\0"                    # no PCI data structure: a legacy ROM
    legacy[-1] = (legacy[-1] - sum(legacy)) & 0xFF
    fw.add_file("genroms/legacy.bin", bytes(legacy))
    display = PciFunction(*VGA_IDS, class_code=CLASS_VGA)       # rombar=0: no ROM BAR
    m = boot_to_late(pc_rom, pc_host((2, display)), fw)
    m.call("optionrom_run")
    assert m.debugcon == b""
    assert u16(m, 0xC0000 + AX_SLOT) == VGA_BDF
    assert ivt(m, 0x10) == (0xF000, m.sym("optionrom_int10") - FSEG)
    assert u16(m, 0xC0800 + AX_SLOT) == 0xFFFF     # no function: AX = FFFFh
    assert m.u32(m.sym("optionrom_bcvs") + 4) == (0xC080 << 16) | 0x180
    assert m.u32(m.sym("optionrom_bevs")) == 0            # linuxboot never ran
    assert m.read(0xC1000, 2) != b"\x55\xAA"


def test_no_rom_no_vga_costs_only_the_scan(pc_rom):
    """With no ROM anywhere nothing runs: the cost is the chipset check, PAM and the scan."""
    nic = PciFunction(*NIC_IDS, class_code=CLASS_NET)
    m = boot_to_late(pc_rom, pc_host((3, nic)))
    before = len(m.accesses)
    m.call("optionrom_run")
    assert m.debugcon == b"" and m.serial == b""
    assert m.read(0xC0000, 2) != b"\x55\xAA"
    assert ivt(m, 0x10) == (0xF000, m.sym("bios16_int10") - FSEG)
    accesses = len(m.accesses) - before
    assert accesses == ACCESSES_NO_ROM, accesses


def test_nothing_without_pci(pc_rom):
    m = boot_to_late(pc_rom, pc_host())
    m.write(m.sym("board_pci_host"), bytes(4))    # what microvm leaves
    before = len(m.accesses)
    m.call("optionrom_run")
    assert len(m.accesses) == before


def test_q35_pam_registers():
    rom = build(Selection(board="q35", loaders=["linux"], plugins=["optionrom"]))
    host = PciHost(ecam_base=0xB0000000)
    host.add(0, 0, PciFunction(*Q35))
    m = BiosMachine(rom.linked, FwCfg(), devices=(host,))
    assert m.call("optionrom_shadow_find").regs["eax"] == 0x90
    m.write(m.sym("optionrom_pam0"), struct.pack("<I", 0x90))
    m.call("optionrom_shadow_set", eax=0x33)
    assert [(r, v) for r, s, v in host.function(0).writes] == [(r, 0x33) for r in range(0x91, 0x97)]


# chipset check 2; PAM 2 x 12; one walk of bus 0: per device an ID read (2), per present
# function its header and class (4), functions 1-7 of the multi-function PIIX3 (2 each);
# the ROM BAR of each of the 3 non-display functions: read, size, read back, restore (8)
ACCESSES_NO_ROM = 2 + 24 + (32 * 2 + 3 * 4 + 7 * 2) + 3 * 8


class Cmos:
    """The RTC's CMOS as QEMU fills the boot order (hw/i386/pc.c, set_boot_dev):
    register 3Dh, bits 3:0 the first device (2 disk, 4 network)."""

    def __init__(self, first):
        self.index, self.memory = 0, {0x3D: first}

    def port_read(self, port, size):
        return self.memory.get(self.index, 0) if port == 0x71 else None

    def port_write(self, port, size, value):
        if port == 0x70:
            self.index = value & 0x7F
            return True
        return False


@pytest.fixture(scope="module")
def net_rom():
    return build(Selection(board="pc", loaders=["linux", "netboot"]))


def net_machine(rom, first, *functions, bootorder=None, host=None):
    """A pc boot with the pci walk and pci_assign, optionrom_run run: the QEMU -boot choice
    `first` in CMOS, fw_cfg's bootorder file when given; `host` instead of
    pc_host(*functions) for a topology of its own."""
    if host is None:
        host = pc_host(*functions)
    fw = FwCfg()
    if bootorder is not None:
        fw.add_file("bootorder", bootorder if isinstance(bootorder, bytes)
                    else bootorder.encode() + b"\0")
    m = boot_to(rom, host, fw, (Cmos(first), host),
                ("pc_init", "fw_cfg_init", "pci_walk", "e820_init", "alloc_init",
                 "core_reserve", "pci_assign", "bios16_install"),
                0xFEC00000 - WINDOW)               # where pci_assign puts ROM BARs
    m.call("optionrom_run")
    return m


def nic_with_bev(code=b"\xCB"):
    image = option_rom(NIC_IDS, CLASS_NET, code=init_code(), bev=BEV)
    image[BEV:BEV + len(code)] = code
    image[-1] = (image[-1] - sum(image)) & 0xFF
    return RomFunction(NIC_IDS, CLASS_NET, image)


def test_netboot_only_when_the_network_comes_first(net_rom):
    nic = nic_with_bev()
    m = net_machine(net_rom, 2, (3, nic))
    assert m.u32(m.sym("optionrom_bevs")) == 1
    # netboot requires pci_assign: the ROM was read where it assigned the ROM BAR (top of
    # the 32-bit hole), not at optionrom's own window, and left disabled there
    assert len(nic.mapped_at) == 1 and WINDOW < nic.mapped_at[0] < 0xFEC00000
    assert nic.u32(0x30) == nic.mapped_at[0]
    assert m.u32(m.sym("optionrom_bevs") + 8) == NIC_BDF     # the entry's function
    before = len(m.accesses)
    m.call("netboot_boot", eax=0)                       # -boot c: the next loader's turn
    assert [a.address for a in m.accesses[before:]] == [0x70, 0x71]
    assert m.debugcon == b""


def test_netboot_without_a_bev_warns_and_returns(net_rom):
    m = net_machine(net_rom, 4, (3, PciFunction(*NIC_IDS, class_code=CLASS_NET)))
    m.call("netboot_boot", eax=0)
    assert b"netboot: -boot n asks for network boot, but no NIC has an option ROM" in m.debugcon


def test_netboot_calls_the_bev_and_warns_when_it_returns(net_rom):
    # the BEV stores a mark at 0000:0600 and returns: nothing booted, the next loader's turn
    mark = bytes([0x31, 0xC0, 0x8E, 0xD8,                     # xor ax, ax; mov ds, ax
                  0xC7, 0x06, 0x00, 0x06, 0x34, 0x12,         # mov word [600h], 1234h
                  0xCB])                                      # retf
    m = net_machine(net_rom, 4, (3, nic_with_bev(mark)))
    m.call("netboot_boot", eax=0)
    assert u16(m, 0x600) == 0x1234
    assert b"netboot: every NIC's boot entry returned" in m.debugcon
    assert b"the next boot device's turn" in m.debugcon


MARK_BEV = bytes([0x31, 0xC0, 0x8E, 0xD8,                  # xor ax, ax; mov ds, ax
                  0xC7, 0x06, 0x00, 0x06, 0x34, 0x12,      # mov word [600h], 1234h
                  0xCB])                                   # retf


@pytest.mark.parametrize("bootorder, boots", [
    ("/pci@i0cf8/ethernet@3/ethernet-phy@0\n/pci@i0cf8/scsi@4/disk@0,0\n", True),
    ("/pci@i0cf8/scsi@4/disk@0,0\n/pci@i0cf8/ethernet@3/ethernet-phy@0\n", False),
    ("/pci@i0cf8/ethernet@5/ethernet-phy@0\n", False),          # another function
    ("/pci@i0cf8/pci-bridge@5/ethernet@3/ethernet-phy@0\n", False),
    ("/rom@genroms/linuxboot_dma.bin\n", False),
])
def test_netboot_when_the_nic_is_first_in_the_bootindex_order(net_rom, bootorder, boots):
    """-device e1000,bootindex=1 (QEMU's bootorder file) without -boot n."""
    m = net_machine(net_rom, 2, (3, nic_with_bev(MARK_BEV)), bootorder=bootorder)
    m.call("netboot_boot", eax=0)
    if boots:
        assert u16(m, 0x600) == 0x1234
        assert b"netboot: every NIC's boot entry returned" in m.debugcon
    else:
        assert u16(m, 0x600) == 0 and m.debugcon == b""


def test_a_nic_behind_a_bridge_with_the_pci_walk(net_rom):
    """With the pci walk in the build (netboot requires pci_assign, which requires it), the
    ROMs of devices behind bridges run too (a NIC behind a PCIe root port on q35)."""
    host = pc_host()
    host.add_bridge(5).add(0, 0, nic_with_bev())
    m = net_machine(net_rom, 2, host=host)
    assert m.debugcon == b""
    bdf = 1 << 8                                   # bus 1, device 0: the walk numbered it
    assert u16(m, 0xC0000 + AX_SLOT) == bdf
    assert m.u32(m.sym("optionrom_bevs")) == 1
    assert m.u32(m.sym("optionrom_bevs") + 8) == bdf


def test_netboot_follows_the_bootorder_path_through_a_bridge(net_rom):
    """bootindex on a NIC behind a bridge: "/pci@i0cf8/pci-bridge@5/ethernet@0/...": the
    bridge's secondary bus (numbered by the walk) leads to the NIC's BEV."""
    host = pc_host()
    host.add_bridge(5).add(0, 0, nic_with_bev(MARK_BEV))
    m = net_machine(net_rom, 2, host=host,
                    bootorder="/pci@i0cf8/pci-bridge@5/ethernet@0/ethernet-phy@0\n")
    m.call("netboot_boot", eax=0)
    assert b"netboot: every NIC's boot entry returned" in m.debugcon
    assert u16(m, 0x600) == 0x1234


@pytest.mark.parametrize("cmos, first_round, network, accesses", [
    ({0x3D: 0x24}, 1, True, 2),                   # -boot order=nc
    ({0x3D: 0x42}, 1, False, 2),                  # -boot order=cn: the disk first
    ({0x3D: 0x42}, 0, True, 2),                   # cn, the last round: the network next
    ({0x3D: 0x02}, 0, False, 2),                  # c alone: no network in any round
    ({0x3D: 0x43}, 1, True, 2),                   # dn: the CD-ROM is skipped
    ({0x3D: 0x31, 0x38: 0x40}, 1, True, 4),       # adn: the third device, from 38h
    ({0x3D: 0x31, 0x38: 0x20}, 1, False, 4),      # adc
    ({0x3D: 0x12, 0x38: 0x40}, 0, True, 4),       # can, the last round
    ({0x3D: 0x03}, 0, False, 2),                  # d alone: neither
])
def test_netboot_reads_the_cmos_boot_order(net_rom, cmos, first_round, network, accesses):
    """QEMU's -boot order= in CMOS 3Dh/38h (hw/i386/pc.c, set_boot_dev): the network before
    the hard disk in the first round, anywhere in the last; floppy and CD-ROM skipped."""
    m = net_machine(net_rom, 0, (3, nic_with_bev()))
    m.devices[0].memory = dict(cmos)
    before = len(m.accesses)
    r = m.call("netboot_network_first", ebx=first_round)
    assert (r.regs["eflags"] & 1 == 0) == network
    assert len(m.accesses) - before == accesses


def test_the_bootorder_file_wins_over_boot_n(net_rom):
    """A disk first in the bootorder file: -boot n does not call the BEV."""
    m = net_machine(net_rom, 4, (3, nic_with_bev(MARK_BEV)),
                    bootorder="/pci@i0cf8/scsi@4/disk@0,0\n/pci@i0cf8/ethernet@3/ethernet-phy@0\n")
    m.call("netboot_boot", eax=0)
    assert u16(m, 0x600) == 0 and m.debugcon == b""


def test_an_empty_bootorder_file_leaves_it_to_the_cmos_order(net_rom):
    """QEMU's bootorder file is there, empty, when no device has a bootindex."""
    m = net_machine(net_rom, 4, (3, nic_with_bev(MARK_BEV)), bootorder=b"")
    m.call("netboot_boot", eax=0)
    assert u16(m, 0x600) == 0x1234


@pytest.fixture(scope="module")
def both_rom():
    return build(Selection(board="pc", loaders=["linux", "netboot", "disk"]))


def both_machine(rom, cmos, bootable=True):
    """A pc with a NIC whose BEV marks 0000:0600 and returns, and a virtio-blk disk."""
    from qbootcore.testing.virtio_blk import VirtioBlk
    disk = bytearray(1 << 20)
    if bootable:
        disk[510:512] = b"\x55\xaa"
    blk = VirtioBlk(disk)
    host = pc_host((3, nic_with_bev(MARK_BEV)), (4, blk))
    fw = FwCfg()
    fw.add_file("bootorder", b"")
    fw.add_file("etc/e820", b"".join(struct.pack("<QQI", *e) for e in E820))
    m = BiosMachine(rom.linked, fw, devices=(Cmos(cmos), host, blk))
    blk.attach(m)
    m.uc.mem_map(WINDOW, 0xFEC00000 - WINDOW)
    host.functions[3 << 3].machine = m
    m.write(FSEG, bytes(0x10000))
    m.write(REGIONS["fseg"].address(REGIONS["fseg"].start), rom.rom[REGIONS["fseg"].start:])
    for step in ("pc_init", "fw_cfg_init", "pci_walk", "e820_init", "alloc_init",
                 "core_reserve", "pci_assign", "bios16_install"):
        m.call(step)
    m.protected_mode()
    m.call("optionrom_run")
    return m, blk


def test_network_first_then_the_disk_when_every_bev_returns(both_rom):
    """-boot order=nc in a ROM with netboot and disk (BIOS Boot Specification 6.5.1): the
    disk is found and its drive block allocated before the handoff (Loader.prepare), the
    BEV runs and returns, then the disk boots with sector 0 read again; the handoff ran
    once, and the e820 reservation covers the drive block."""
    m, blk = both_machine(both_rom, 0x24)
    handoffs = []
    m.uc.hook_add(__import__("unicorn").UC_HOOK_CODE,
                  lambda uc, addr, size, _: handoffs.append(addr),
                  begin=m.sym("alloc_reserve"), end=m.sym("alloc_reserve"))
    r = m.call("boot_without_kernel", stop_at=(0x7C00,))
    assert r.entered == 0x7C00 and r.regs["edx"] & 0xFF == 0x80  # the boot sector, DL = 80h
    assert u16(m, 0x600) == 0x1234                        # the BEV ran first
    assert b"netboot: every NIC's boot entry returned" in m.debugcon
    assert blk.requests == [(0, 0, 512), (0, 0, 512)]     # found, then read again
    assert len(handoffs) == 1
    ebda = u16(m, 0x40E) << 4
    drive = m.u32(ebda + 0x500)                            # EBDA_DISK: drive 80h
    n = m.u32(m.sym("e820_count"))
    reserved = [struct.unpack("<QQI", m.read(m.sym("e820_map") + 20 * i, 20)) for i in range(n)]
    assert any(t == 2 and base <= drive < base + size for base, size, t in reserved), reserved


def test_order_cn_boots_the_disk_without_the_network(both_rom):
    m, blk = both_machine(both_rom, 0x42)
    r = m.call("boot_without_kernel", stop_at=(0x7C00,))
    assert r.entered == 0x7C00 and u16(m, 0x600) == 0 and m.debugcon == b""
    assert blk.requests == [(0, 0, 512)]


def test_order_cn_tries_the_network_after_the_disks_and_names_both(both_rom):
    m, blk = both_machine(both_rom, 0x42, bootable=False)
    with pytest.raises(Panic) as exc:
        m.call("boot_without_kernel")
    assert u16(m, 0x600) == 0x1234                        # the BEV ran after the disk
    message = str(exc.value)
    assert "no -kernel, the network boot returned (see above), and no disk boots" in message
    assert "virtio-blk 00:04.0 (no boot signature 55AAh in sector 0)" in message


def test_order_c_alone_never_calls_the_bev(both_rom):
    m, blk = both_machine(both_rom, 0x02, bootable=False)
    with pytest.raises(Panic, match="no -kernel, and no disk boots"):
        m.call("boot_without_kernel")
    assert u16(m, 0x600) == 0
