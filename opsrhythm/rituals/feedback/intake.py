"""Reading feedback files: CSV or JSON Lines rows become inputs or quarantined rows, never lost.

Each row is identified by the hash of its normalised content, so importing the same file again
(or the same row from another file) finds it already stored. Each row stands alone: one with a
byte that is not UTF-8, an oversize cell, deep JSON or a value the ledger cannot hold is
quarantined with its reason (``row_checks``) and the others go on. Columns are the fields of
``InputField`` (or their ``ALIASES``), or renamed by the config's ``columns:``; any other column
is named by ``unknown_columns``, for the import to report once.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError

from opsrhythm.rituals.feedback.config import InputField
from opsrhythm.rituals.feedback.models import FeedbackInput
from opsrhythm.rituals.feedback.row_checks import (
    cell_problem,
    date_problem,
    digest,
    load_object,
    printable,
)

ALIASES = {"from": "submitter", "email": "submitter", "feedback": "text"}
FIELDS: tuple[str, ...] = get_args(InputField)


@dataclass(frozen=True)
class ParsedRow:
    line: int
    hash: str
    input: FeedbackInput | None
    raw: str
    reason: str = ""

    @property
    def item_id(self) -> str:
        return "fb-" + self.hash[:16]

    def quarantine_record(self, origin: str) -> dict[str, Any]:
        return {
            "hash": self.hash,
            "origin": origin,
            "line": self.line,
            "raw": printable(self.raw),
            "reason": printable(self.reason, 500),
        }


def read_file(
    path: Path,
    *,
    now: datetime,
    start: int = 0,
    stop: int | None = None,
    columns: Mapping[str, str] | None = None,
) -> list[ParsedRow]:
    """Rows [start, stop) of a .csv or .jsonl file, parsed or with the reason they cannot be."""
    return read_content(
        path.read_bytes(), path.name, now=now, start=start, stop=stop, columns=columns
    )


def read_content(
    content: bytes,
    name: str,
    *,
    now: datetime,
    start: int = 0,
    stop: int | None = None,
    columns: Mapping[str, str] | None = None,
) -> list[ParsedRow]:
    """Rows [start, stop) of a file's ``content``, its type told by ``name``'s suffix."""
    rows: list[ParsedRow] = []
    for line, raw, record in islice(_records(content, name), start, stop):
        if isinstance(record, str):
            rows.append(ParsedRow(line, digest(raw.strip()), None, raw, record))
        else:
            rows.append(parse_record(record, line=line, raw=raw, now=now, columns=columns))
    return rows


def count_rows(path: Path) -> int:
    return sum(1 for _ in _records(path.read_bytes(), path.name))


def unknown_columns(
    content: bytes, name: str, columns: Mapping[str, str] | None = None
) -> list[str]:
    """The columns (CSV header, keys of JSON objects) that fill no field, in file order."""
    found: dict[str, None] = {}
    for _, _, record in _records(content, name):
        if isinstance(record, dict):
            found.update(dict.fromkeys(k for k in record if field_of(k, columns) is None))
            if name.lower().endswith(".csv"):
                break  # every CSV row has the header's columns
    return [printable(k, 80) for k in found]


def unknown_columns_line(unknown: Iterable[str]) -> str | None:
    """The one line an import prints about columns it did not read, if there are any."""
    names = list(unknown)
    if not names:
        return None
    return (
        f"ignored column(s) {', '.join(names)}: not feedback fields "
        f"({', '.join(FIELDS)}); map them under feedback.columns: in the config"
    )


def field_of(column: str, columns: Mapping[str, str] | None = None) -> str | None:
    key = column.strip().lower()
    if columns and key in columns:
        return columns[key]
    key = ALIASES.get(key, key)
    return key if key in FIELDS else None


def parse_record(
    record: dict[str, Any],
    *,
    line: int,
    raw: str,
    now: datetime,
    columns: Mapping[str, str] | None = None,
) -> ParsedRow:
    """One record (a CSV row or a JSON object) as an input, or quarantined with its reason."""
    row_hash = digest(_normalised(record))
    problem = cell_problem(record)
    if problem is not None:
        return ParsedRow(line, row_hash, None, raw, problem)
    fields: dict[str, Any] = {}
    filled_by: dict[str, str] = {}
    for key, value in record.items():
        field = field_of(key, columns)
        if field is None or value in (None, ""):
            continue
        if field in fields and fields[field] != value:
            # Two columns for one field (say created_at, and created mapped to it): choosing
            # one would drop the other's value without a word.
            reason = f"{filled_by[field]} and {key} both fill {field}, with different values"
            return ParsedRow(line, row_hash, None, raw, reason)
        fields[field], filled_by[field] = value, key
    if isinstance(fields.get("tags"), str):
        fields["tags"] = [
            t.strip() for t in fields["tags"].replace(";", ",").split(",") if t.strip()
        ]
    external_id = fields.get("external_id")
    if isinstance(external_id, int | float) and not isinstance(external_id, bool):
        fields["external_id"] = str(external_id)  # JSON's {"id": 1042}
    fields.setdefault("created_at", now)
    try:
        parsed = FeedbackInput.model_validate(fields)
        created = parsed.created_at
        created = created.replace(tzinfo=UTC) if created.tzinfo is None else created
        created = created.astimezone(UTC)
    except ValidationError as error:
        return ParsedRow(line, row_hash, None, raw, _reason(error))
    except OverflowError:
        return ParsedRow(line, row_hash, None, raw, "created_at: out of range")
    problem = date_problem(created, now)
    if problem is not None:
        return ParsedRow(line, row_hash, None, raw, problem)
    return ParsedRow(line, row_hash, parsed.model_copy(update={"created_at": created}), raw)


def _reason(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "row"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "string_pattern_mismatch":
        message = "not an email address" if where == "submitter" else "has an invalid value"
    if where == "created_at" and isinstance(first["input"], str):
        message = f"{printable(first['input'], 40)!r} is not a date ({message})"
    return f"{where}: {message}"


Record = tuple[int, str, dict[str, Any] | str]
"""(line, raw text, the record or the reason it is malformed)."""


def _records(content: bytes, name: str) -> Iterator[Record]:
    text = content.decode("utf-8-sig", errors="surrogateescape")
    suffix = Path(name).suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return _json_lines(text)
    if suffix == ".csv":
        return _csv_rows(text)
    raise ValueError(f"{name}: expected a .csv or .jsonl file")


def _csv_rows(text: str) -> Iterator[Record]:
    # The csv module stops at a cell over its limit; cell_problem measures cells instead, so one
    # oversize cell quarantines its row only. Raising the limit never lowers another reader's.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        return
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            reason = f"unreadable CSV: {error}"
            yield reader.line_num, f"line {reader.line_num}: {reason}", reason
            continue
        if not any(cell.strip() for cell in row):
            continue
        raw = ",".join(row)
        if len(row) != len(header):
            yield reader.line_num, raw, f"expected {len(header)} columns, found {len(row)}"
        else:
            yield reader.line_num, raw, dict(zip(header, row, strict=True))


def _json_lines(text: str) -> Iterator[Record]:
    for line, raw in enumerate(text.splitlines(), start=1):
        if raw.strip():
            yield line, raw, load_object(raw)


def _normalised(record: dict[str, Any]) -> str:
    cleaned = {
        k.strip().lower(): " ".join(v.split()) if isinstance(v, str) else v
        for k, v in record.items()
    }
    return json.dumps(cleaned, sort_keys=True, default=str)
