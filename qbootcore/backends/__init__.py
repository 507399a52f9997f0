"""Assembler backends.

A backend turns one prepared fragment (see :mod:`qbootcore.asm`) into bytes at a given
run-time address.  It reports where each source line and label landed, so that the linker
can export symbols and tools can map bytes back to source.  Backends are registered with the
``qboot_assemblers`` hook and selected by name; the built-in ones are ``keystone`` (default)
and ``gnu-as``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol, Sequence

from ..asm import Line


@dataclass
class Assembled:
    """The result of assembling one fragment."""

    code: bytes
    #: offset of each line of the input, plus a final entry equal to ``len(code)``
    line_offsets: list[int]

    def labels(self, lines: Sequence[Line]) -> dict[str, int]:
        return {ln.label: self.line_offsets[i] for i, ln in enumerate(lines) if ln.label}


class Assembler(Protocol):
    name: str

    def assemble(self, lines: Sequence[Line], bits: int, base: int, where: str) -> Assembled:
        """Assemble ``lines`` for ``bits``-bit mode as if loaded at linear address ``base``.

        Raises :class:`qbootcore.errors.QbootError` naming ``where`` and the source line on
        any error.
        """


MARK = "__qb_line_{}"


def marked_source(lines: Sequence[Line]) -> tuple[list[str], int]:
    """Source text with a marker label before every line and after the last one."""
    out = []
    for i, ln in enumerate(lines):
        out.append(MARK.format(i) + ":")
        if ln.label:
            out.append(f"{ln.label}:")
        if ln.text:
            out.append(ln.text)
    out.append(MARK.format(len(lines)) + ":")
    return out, len(lines) + 1


def local_names(lines: Sequence[Line]) -> list[str]:
    return [ln.label for ln in lines if ln.label]


def neutralise_labels(text: str, labels: Sequence[str], value: int) -> str:
    """Replace local labels in one line by a number, to assemble that line on its own."""
    for name in labels:
        text = re.sub(rf"(?<![\w.$]){re.escape(name)}(?![\w.$])", hex(value), text)
    return text
