"""Reading feedback files: CSV or JSON Lines rows become inputs or quarantined rows, never lost.

Each row is identified by the hash of its normalised content, so importing the same file again
(or the same row from another file) finds it already stored.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from opsrhythm.rituals.feedback.models import FeedbackInput

ALIASES = {"from": "submitter", "email": "submitter", "feedback": "text"}


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
            "raw": self.raw,
            "reason": self.reason,
        }


def read_file(
    path: Path, *, now: datetime, start: int = 0, stop: int | None = None
) -> list[ParsedRow]:
    """Rows [start, stop) of a .csv or .jsonl file, parsed or with the reason they cannot be."""
    rows: list[ParsedRow] = []
    for line, raw, record in islice(_records(path), start, stop):
        if isinstance(record, str):
            digest = hashlib.sha256(raw.strip().encode()).hexdigest()
            rows.append(ParsedRow(line, digest, None, raw, record))
        else:
            rows.append(parse_record(record, line=line, raw=raw, now=now))
    return rows


def count_rows(path: Path) -> int:
    return sum(1 for _ in _records(path))


def parse_record(record: dict[str, Any], *, line: int, raw: str, now: datetime) -> ParsedRow:
    """One record (a CSV row or a JSON object) as an input, or quarantined with its reason."""
    digest = hashlib.sha256(_normalised(record).encode()).hexdigest()
    fields = {ALIASES.get(k.strip().lower(), k.strip().lower()): v for k, v in record.items()}
    fields = {k: v for k, v in fields.items() if v not in (None, "")}
    if isinstance(fields.get("tags"), str):
        fields["tags"] = [
            t.strip() for t in fields["tags"].replace(";", ",").split(",") if t.strip()
        ]
    fields.setdefault("created_at", now)
    try:
        parsed = FeedbackInput.model_validate(fields)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "row"
        message = first["msg"]
        if first["type"] == "string_pattern_mismatch":
            message = "not an email address" if where == "submitter" else "has an invalid value"
        return ParsedRow(line, digest, None, raw, f"{where}: {message}")
    if parsed.created_at.tzinfo is None:
        parsed = parsed.model_copy(update={"created_at": parsed.created_at.replace(tzinfo=UTC)})
    return ParsedRow(line, digest, parsed, raw)


Record = tuple[int, str, dict[str, Any] | str]
"""(line, raw text, the record or the reason it is malformed)."""


def _records(path: Path) -> Iterator[Record]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return _json_lines(text)
    if path.suffix.lower() == ".csv":
        return _csv_rows(text)
    raise ValueError(f"{path.name}: expected a .csv or .jsonl file")


def _csv_rows(text: str) -> Iterator[Record]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        return
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        raw = ",".join(row)
        if len(row) != len(header):
            yield reader.line_num, raw, f"expected {len(header)} columns, found {len(row)}"
        else:
            yield reader.line_num, raw, dict(zip(header, row, strict=True))


def _json_lines(text: str) -> Iterator[Record]:
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as error:
            yield line, raw, f"invalid JSON: {error.msg}"
            continue
        yield line, raw, record if isinstance(record, dict) else "not a JSON object"


def _normalised(record: dict[str, Any]) -> str:
    cleaned = {
        k.strip().lower(): " ".join(v.split()) if isinstance(v, str) else v
        for k, v in record.items()
    }
    return json.dumps(cleaned, sort_keys=True, default=str)
