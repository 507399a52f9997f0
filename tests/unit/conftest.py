"""Shared fixtures for the fast tests: one ROM built per session."""

import pytest

from qbootcore.build import Selection, build


@pytest.fixture(scope="session")
def q35_linux():
    """The default build (q35 + linux), linked, for calling routines in the emulator."""
    return build(Selection(board="q35", loaders=["linux"]))


@pytest.fixture
def emu(q35_linux):
    """A factory of emulated machines running the default build against a given fw_cfg."""
    from qbootcore.testing import FwCfg, Machine

    def make(fw_cfg=None, **kw):
        return Machine(q35_linux.linked, fw_cfg or FwCfg(), **kw)
    return make
