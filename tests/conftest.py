"""For every test, unit and e2e: build only the plugins qboot-fw ships.

An installed third-party plugin (a feature with required options, one that refuses some
builds in ``qboot_build_started``) must not change what the project's own tests build; the
variable reaches the ``qboot-fw`` subprocesses too.  Tests of third-party packages
(tests/e2e/test_examples.py) remove it where they want the installed ones.
"""

import os

from qbootcore.plugins import PLUGINS_ENV

os.environ[PLUGINS_ENV] = "builtin"
