"""What the CLI prints to: a rich console for people, one JSON document for scripts.

``--json`` output is the stable interface: snake_case field names, timestamps in ISO 8601 UTC
to the second (``2026-11-03T09:00:00Z``), absent values as ``null``. Rich is imported only by
the commands that draw tables.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def console() -> Console:
    from rich.console import Console

    # Piped output gets room for the tables instead of rich's 80 columns.
    return Console(width=None if sys.stdout.isatty() else 160, markup=False, highlight=False)


def print_json(document: Mapping[str, Any]) -> None:
    print(json.dumps(document, indent=2))


def utc_iso(moment: datetime | None) -> str | None:
    """``2026-11-03T09:00:00Z``; a naive time is taken to be UTC already."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
