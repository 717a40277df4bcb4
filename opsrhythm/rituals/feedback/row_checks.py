"""What makes one feedback row unusable before its fields are read, and how a quarantined row
is kept: every check looks at one row only, so a bad row never fails the rest of its file.

Files are read with ``surrogateescape``: a byte that is not UTF-8 (an Excel cp1252 export)
survives as a lone surrogate in its own cell, where the row holding it is told apart.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from opsrhythm.rituals.feedback.models import UNENCODABLE

MAX_CELL = 10_000
"""Characters in one cell: the longest text an item may have."""
MAX_DEPTH = 8
"""Nesting of a JSON object: an object with a list of tags is 2."""
MAX_KEPT = 4_000
"""Characters of a quarantined row kept for the quarantine list (its hash covers all of it)."""
INVALID_JSON = "invalid JSON"
NOT_AN_OBJECT = "not a JSON object"
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(days=1)
"""How far past now a created_at may be (time zones, clocks) before it is impossible."""


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def printable(text: str, limit: int = MAX_KEPT) -> str:
    """``text`` as a database column can hold it: cut to ``limit``, NUL and bytes that were not
    UTF-8 made visible."""
    if len(text) > limit:
        text = f"{text[:limit]}… ({len(text):,} characters)"
    return UNENCODABLE.sub("\ufffd", text.replace("\x00", "\\x00"))


def load_object(text: str) -> dict[str, Any] | str:
    """A JSON object, or the reason ``text`` is not a usable one."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return f"{INVALID_JSON}: {error.msg}"
    except RecursionError:
        return f"JSON nested deeper than {MAX_DEPTH} levels"
    except ValueError as error:  # an integer of more digits than Python converts
        return f"{INVALID_JSON}: {str(error).split(':')[0]}"
    if not isinstance(value, dict):
        return NOT_AN_OBJECT
    if _depth(value) > MAX_DEPTH:
        return f"JSON nested deeper than {MAX_DEPTH} levels"
    return value


def cell_problem(record: dict[str, Any]) -> str | None:
    """Why a row's cells cannot be read at all: an oversize cell or a byte that is not UTF-8."""
    for key, value in record.items():
        if not isinstance(value, str):
            continue
        if len(value) > MAX_CELL:
            return f"{key}: {len(value):,} characters, over the {MAX_CELL:,} a cell may hold"
        bad = UNENCODABLE.search(value)
        if bad is not None:
            code = ord(bad.group()) - 0xDC00
            if 0x80 <= code <= 0xFF:
                return (
                    f"{key}: byte 0x{code:02x} is not UTF-8 "
                    "(a cp1252/Excel export? save the file as UTF-8)"
                )
            return f"{key}: not valid Unicode (a lone surrogate)"
    return None


def date_problem(created_at: datetime, now: datetime) -> str | None:
    if created_at < EARLIEST:
        return f"created_at: {created_at.date()} is before 1970"
    if created_at > now + CLOCK_SKEW:
        return f"created_at: {created_at.isoformat()} is in the future"
    return None


def _depth(value: dict[str, Any] | list[Any]) -> int:
    # Iterative, so a deep value cannot exhaust the stack here either.
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return deepest
