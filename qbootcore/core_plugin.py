"""The core's own registrations: the built-in assembler backends, and the core's pieces
that only some features need (``pm16_real``), which those features list in ``requires``."""

from __future__ import annotations

from .hookspecs import hookimpl
from .model import AssemblerBackend, Feature, Fragment


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


def _pm16_real_fragments(ctx):
    from .firmware import FIRMWARE
    return [Fragment.from_file(FIRMWARE / name, "fseg", bits=16)
            for name in ("pm16_real.asm", "pm16_real_cs.asm")]


@hookimpl
def qboot_features():
    return [Feature(
        name="pm16_real",
        description="the way from protected mode back to real mode (firmware/pm16_real.asm), "
                    "shared by the features that run real-mode code (bios16, s3); pulled in "
                    "by their requires",
        fragments=_pm16_real_fragments)]
