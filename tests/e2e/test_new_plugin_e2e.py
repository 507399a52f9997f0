"""Each `qboot-fw new-plugin` skeleton passes its own end-to-end test as generated: its ROM
boots a kernel in QEMU (TCG).  The unit tests run them in the emulator
(tests/unit/test_new_plugin.py)."""

import pytest

from qbootcore.commands.new_plugin import KINDS
from tests.unit.test_new_plugin import generate, run_its_tests

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("kind", KINDS)
def test_skeleton_passes_its_e2e_test(tmp_path, kind):
    _, out = generate(tmp_path, kind)
    r = run_its_tests(out, "-m", "e2e")
    assert r.returncode == 0 and "1 passed" in r.stdout, r.stdout + r.stderr
