"""The ``optionrom`` feature: PCI expansion ROMs (docs/optionrom.md).

At stage ``late`` (after ``bios16_install``, before the boards lock the F-segment) it makes
C0000h-EFFFFh shadow RAM (the host bridge's PAM1-PAM6, i440fx or Q35 MCH), runs the VGA
BIOS at C0000h (fw_cfg ``vgaroms/*``, else the first display controller's ROM BAR) and
mirrors its INT 10h teletype to COM1, then the ROMs of the other PCI functions (those the
``pci`` walk found, else bus 0's) and fw_cfg ``genroms/*`` (QEMU's own -kernel loader ROMs
excepted): each checked (55AAh, PCI data structure with the device's vendor/device ID, x86
code type, checksum; a failure is skipped with a warning), copied to the shadow, its init
entry far-called in real mode (``bios16_call16``) with AX = bus/device/function, its PnP
expansion headers' BEV/BCV entries recorded (``optionrom_bevs``, ``optionrom_bcvs``); then
the area is read-only.

The ``netboot`` loader (same module) boots through the recorded BEVs when QEMU has no
-kernel and asks for the network first (-boot n, or a NIC first in the bootindex order).

Expansion ROM BARs are mapped where ``pci_assign`` placed them when the build has it
(``pci_assign_rom_map``), else at a temporary window of this plugin's own.

Without PCI (microvm) or on another chipset nothing runs; a recipe without the plugin has
none of this code.
"""

from pathlib import Path

from qbootcore import hookimpl
from qbootcore.model import Feature, Fragment, Loader, Step
from qboot_boards.common import PCI_INC

HERE = Path(__file__).parent


def fragments(ctx):
    # with pci_assign every ROM BAR already has an address: map it there; without it, a
    # temporary window of our own (nothing else is placed in the PCI hole then)
    mapping = "map_assign.asm" if "pci_assign" in ctx.plugins else "map_own.asm"
    # with the pci walk, the functions it found on every bus (bus 0 probed when it did not
    # run); without it, bus 0 probed
    bus0 = Fragment.from_file(HERE / "list_bus0.asm", "text32", name="optionrom_pci_list_bus0")
    if "pci" in ctx.plugins:
        listing = [bus0, Fragment.from_file(HERE / "list_walk.asm", "text32",
                                            name="optionrom_pci_list")]
    else:
        listing = [Fragment(**{**bus0.__dict__, "source": ".global optionrom_pci_list\n"
                               "optionrom_pci_list:\n" + bus0.source})]
    return [
        Fragment.from_file(HERE / mapping, "text32", name="optionrom_rom_map"),
        *listing,
        Fragment.from_file(HERE / "scan.asm", "text32", name="optionrom_run"),
        Fragment.from_file(HERE / "image.asm", "text32", name="optionrom_find_image"),
        Fragment.from_file(HERE / "shadow.asm", "text32", name="optionrom_shadow"),
        Fragment.from_file(HERE / "int10.asm", "fseg", bits=16, name="optionrom_int10"),
        Fragment.from_file(HERE / "int10_vector.asm", "fseg", name="optionrom_vga_vector"),
    ]


@hookimpl
def qboot_features():
    return [Feature(
        name="optionrom",
        description="PCI option ROMs: VGA BIOS first (INT 10h teletype also on COM1), then "
                    "NIC and other ROMs in C0000-EFFFF shadow RAM; BEV/BCV entries recorded",
        fragments=fragments,
        constants=(PCI_INC, HERE / "optionrom.inc"),
        steps=(Step("late", "optionrom_run", order=60),),
        requires=("bios16", "pci_config"),
    )]


@hookimpl
def qboot_loaders():
    return [Loader(
        name="netboot",
        description="network boot when QEMU has no -kernel and -boot n: the NICs' option "
                    "ROM boot entries (BEV), e.g. QEMU's iPXE",
        fragments=lambda ctx: [Fragment.from_file(HERE / "netboot.asm", "text32",
                                                  name="netboot_boot")],
        constants=(HERE / "optionrom.inc",),
        requires=("optionrom", "pci_assign"),
        without_kernel="netboot_boot",
    )]
