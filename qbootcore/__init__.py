"""qboot-fw core: plugin manager, assembler backends, ROM linker and build driver."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("qboot-fw")
except PackageNotFoundError:  # running from a checkout that was not installed
    __version__ = "0.0.0+checkout"

from .hookspecs import hookimpl  # noqa: E402  (the decorator plugins use)

__all__ = ["hookimpl", "__version__"]
