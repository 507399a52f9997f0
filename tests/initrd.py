"""Test initrds made on the fly: an existing initrd plus a few files (e.g. another /init).

Linux unpacks every archive of a concatenation of (compressed) cpio archives in turn, later
files replacing earlier ones (Documentation/driver-api/early-userspace/buffer-format.rst),
so ``overlay(base, {'init': script}, out)`` gives the test guest's busybox a new /init.
"""
from __future__ import annotations

import gzip
from pathlib import Path


def _newc_entry(name: str, data: bytes, mode: int, ino: int) -> bytes:
    """One entry of a "newc" cpio archive (header, name, data, each padded to 4 bytes)."""
    fields = (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0)
    header = b'070701' + b''.join(b'%08X' % f for f in fields)
    out = header + name.encode() + b'\0'
    out += b'\0' * (-len(out) % 4) + data
    return out + b'\0' * (-len(out) % 4)


def newc(files: dict[str, bytes | str], mode: int = 0o100755) -> bytes:
    """A newc archive of regular files (path -> contents), with its trailer."""
    out = b''.join(_newc_entry(name, data.encode() if isinstance(data, str) else data,
                               mode, ino)
                   for ino, (name, data) in enumerate(files.items(), 1))
    return out + _newc_entry('TRAILER!!!', b'', 0, 0)


def overlay(base: Path, files: dict[str, bytes | str], out: Path) -> Path:
    """Write ``out``: the initrd ``base`` followed by a gzipped archive of ``files``."""
    out.write_bytes(Path(base).read_bytes() + gzip.compress(newc(files), mtime=0))
    return out
