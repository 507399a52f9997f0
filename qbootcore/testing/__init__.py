"""Run firmware routines in an emulator (unicorn) against simulated devices.

For fast tests of the core and of plugins: build a ROM, then call any ``.global`` routine
with chosen registers against a simulated QEMU fw_cfg device, and look at memory, the
device accesses it made and what it printed.  Needs the ``test`` extra (unicorn).
"""

from .emulator import Machine, Panic
from .fwcfg import FwCfg
from .pci import PciFunction, PciHost

__all__ = ["Machine", "Panic", "FwCfg", "PciHost", "PciFunction"]
