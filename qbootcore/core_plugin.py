"""The core's own registrations: the built-in assembler backends."""

from __future__ import annotations

from .hookspecs import hookimpl
from .model import AssemblerBackend


def _keystone():
    from .backends.keystone_backend import KeystoneAssembler
    return KeystoneAssembler()


@hookimpl
def qboot_assemblers():
    return [AssemblerBackend("keystone", "keystone-engine (pip), with the 16-bit encoding guard",
                             _keystone)]
