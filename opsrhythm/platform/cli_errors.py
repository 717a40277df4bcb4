"""The errors a CLI command raises for the runner (``opsrhythm.platform.cli``) to print.

Each becomes one line on stderr, ``opsrhythm: <message>``, and its class's exit code, never a
traceback: the message alone must say what is wrong and, where it can, what to do. Anything
else a command can fail with for a reason the user can act on subclasses ``CommandError``.
"""


class CommandError(Exception):
    """A failure the user can act on; ``exit_code`` is what the command exits with."""

    exit_code = 1


class UsageError(CommandError):
    """A bad argument or input file; the message names what is wrong and where."""

    exit_code = 2


class ServerError(CommandError):
    """A server was unreachable or refused the request."""

    exit_code = 1
