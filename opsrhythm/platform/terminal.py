"""The rich console the CLI's tables and progress bars print to."""

from __future__ import annotations

import sys

from rich.console import Console


def console() -> Console:
    # Piped output gets room for the tables instead of rich's 80 columns.
    return Console(width=None if sys.stdout.isatty() else 160, markup=False, highlight=False)
