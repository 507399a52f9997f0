"""The core's own registrations: the built-in assembler backends."""

from __future__ import annotations

from .hookspecs import hookimpl
from .model import AssemblerBackend


def _keystone():
    from .backends.keystone_backend import KeystoneAssembler
    return KeystoneAssembler()


def _gnu_as():
    from .backends.gnu_as_backend import GnuAsAssembler
    return GnuAsAssembler()


@hookimpl
def qboot_assemblers():
    return [AssemblerBackend("keystone", "keystone-engine (pip), with the 16-bit encoding guard",
                             _keystone),
            AssemblerBackend("gnu-as", "GNU binutils as (apt-get install binutils), read back "
                             "with pyelftools", _gnu_as)]
