"""The one error every CLI command raises for a bad argument; ``starter.main`` prints it."""


class UsageError(Exception):
    """A bad argument or input file; the message names what is wrong and where."""
