"""The one exception type the core raises for bad input.

Every message is a single line that names the problem and, where there is one, the fix.
The CLI prints it as ``qboot-fw: error: <message>`` and exits with status 2.
"""


class QbootError(Exception):
    """A user-facing build error (bad recipe, unknown plugin, link failure, ...)."""
