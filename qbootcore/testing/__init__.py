"""Test firmware routines and plugins: the stable testing API for plugin authors.

* :func:`rom` builds a ROM with qboot-fw's own plugins and the plugin under test (``extra``);
  :func:`machine` returns the emulator (unicorn) running it: call any ``.global`` routine
  with chosen registers against a simulated QEMU fw_cfg device (:class:`FwCfg`) and PCI
  hierarchy (:class:`PciHost`), and look at memory, the device accesses it made and what
  it printed (:class:`Panic` when it panics).  Needs the ``test`` extra (unicorn):
  ``pip install qboot-fw[test]``.
* :func:`boot` and :func:`boot_stub` run the ROM in QEMU under TCG.

docs/plugins.md ("Testing a plugin") shows both kinds of test; ``qboot-fw new-plugin``
writes them for each skeleton.
"""

from .fwcfg import FwCfg
from .pci import PciFunction, PciHost
from .plugin import QEMU, Boot, boot, boot_stub, machine, rom

__all__ = ["rom", "machine", "boot", "boot_stub", "Boot", "QEMU", "Machine", "Panic", "FwCfg",
           "PciHost", "PciFunction"]


def __getattr__(name):
    # the emulator needs unicorn (the ``test`` extra); import it only when used
    if name in ("Machine", "Panic"):
        from . import emulator
        return getattr(emulator, name)
    raise AttributeError(name)
