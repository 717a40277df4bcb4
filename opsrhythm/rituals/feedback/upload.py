"""A feedback file on its way to the worker: parts of whole rows, compressed, sent as content.

The CLI cannot hand the worker a path: the worker may run on another machine or in a container
that sees other files. So the file travels in the import workflow's history, split where rows
end (a CSV row may hold line breaks inside quotes) into parts of at most ``PART_ROWS`` rows, each
with the header and compressed. Every part knows how far into the file it starts, so
quarantined rows keep the line numbers of the file the user has.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Iterator

from opsrhythm.rituals.feedback.workflow_models import ImportPart

PART_ROWS = 1000
PART_BYTES = 1024 * 1024
"""A part ends sooner when its rows reach this size, so each stays well under Temporal's
payload limit (2 MB) once compressed."""


def split_parts(content: bytes, name: str) -> list[ImportPart]:
    """The file's rows in parts; a .csv file's header heads every part."""
    csv = name.lower().endswith(".csv")
    records = _records(content, quoted=csv)
    header: list[bytes] = []
    header_lines = 0
    if csv:
        first = next(records, None)
        if first is None:
            return []
        header, header_lines = [first[1]], first[1].count(b"\n")
    parts: list[ImportPart] = []
    rows: list[bytes] = []
    size = 0
    first_line = 0
    for line, record in records:
        if not rows:
            first_line = line
        rows.append(record)
        size += len(record)
        if len(rows) >= PART_ROWS or size >= PART_BYTES:
            parts.append(_part(len(parts), header, rows, first_line - header_lines - 1))
            rows, size = [], 0
    if rows:
        parts.append(_part(len(parts), header, rows, first_line - header_lines - 1))
    return parts


def part_content(part_data: str) -> bytes:
    """The bytes of a part, as ``intake.read_content`` reads a file."""
    return zlib.decompress(base64.b64decode(part_data))


def _part(index: int, header: list[bytes], rows: list[bytes], line_offset: int) -> ImportPart:
    body = b"".join(header + rows)
    data = base64.b64encode(zlib.compress(body, 6)).decode("ascii")
    counted = sum(1 for row in rows if row.strip())
    return ImportPart(index=index, data=data, line_offset=line_offset, rows=counted)


def _records(content: bytes, *, quoted: bool) -> Iterator[tuple[int, bytes]]:
    """(line number where it starts, bytes with its line break) of each record.

    A line break inside double quotes does not end a CSV record: quotes inside a field are
    doubled, so a record ends where the quotes seen so far are even. A JSON Lines record is
    one line.
    """
    lines = content.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    pending: list[bytes] = []
    quotes = 0
    start = 1
    for number, line in enumerate(lines, start=1):
        if not pending:
            start = number
        pending.append(line)
        quotes += line.count(b'"') if quoted else 0
        if quotes % 2 == 0:
            yield start, b"\n".join(pending) + b"\n"
            pending, quotes = [], 0
    if pending:  # an unclosed quote: the rest is one record, for the reader to judge
        yield start, b"\n".join(pending) + b"\n"
