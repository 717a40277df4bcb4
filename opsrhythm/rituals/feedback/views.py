"""What the ``feedback`` commands print: item and quarantine tables or their ``--json``
documents, and a rule explanation.

Feedback text is untrusted: it goes in as ``Text``, which rich never reads as markup. The JSON
field names are a stable interface, listed in the README: add fields, never rename one.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from opsrhythm.platform.terminal import utc_iso
from opsrhythm.rituals.feedback.config import FeedbackSettings
from opsrhythm.rituals.feedback.models import FeedbackInput, FeedbackItem, snippet
from opsrhythm.rituals.feedback.queue import QueuePage
from opsrhythm.rituals.feedback.rules import explain, route

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_FIELDS = (
    "id",
    "created_at",
    "status",
    "area",
    "owner_team",
    "assignee",
    "priority",
    "score",
    "due_at",
    "duplicate_of",
    "duplicates",
    "submitter",
    "customer",
    "segment",
    "arr",
    "source",
    "tags",
    "text",
    "email_failure",
    "external_id",
)


def items_table(
    page: QueuePage,
    email_failures: Mapping[str, str] | None = None,
    *,
    timezone: str = "UTC",
    boxed: bool = True,
) -> Table:
    """``email_failures``: per item id, why an email about it could not be sent. Times are
    shown in ``timezone``, named in the column header; ``boxed`` False draws no box (piped)."""
    failures = email_failures or {}
    zone = ZoneInfo(timezone)
    rows = [
        (
            item.id,
            item.area,
            item.assignee,
            item.priority,
            f"{item.score:g}",
            item.status + (" (email failed)" if item.id in failures else ""),
            f"{item.due_at.astimezone(zone):%Y-%m-%d %H:%M}" if item.due_at else "",
            str(page.duplicate_counts.get(item.id, "")),
            item.duplicate_of or "",
            item.submitter,
            snippet(item.text, 60),
        )
        for item in page.items
    ]
    table = Table(box=box.HEAVY_HEAD if boxed else None, pad_edge=boxed)
    # One line per item, so a page stays a page: only submitter and text give way, with "…".
    headers = ("id", "area", "assignee", "prio", "score", "status", f"due ({timezone})")
    for index, header in enumerate((*headers, "dups", "duplicate of")):
        widest = max([len(header), *(len(row[index]) for row in rows)])
        table.add_column(header, no_wrap=True, min_width=widest)
    table.add_column("submitter", no_wrap=True, overflow="ellipsis", max_width=32)
    table.add_column("text", no_wrap=True, overflow="ellipsis")
    for row in rows:
        table.add_row(*row[:-2], Text(row[-2]), Text(row[-1]))
    return table


def page_footer(page: QueuePage) -> str:
    shown = len(page.items)
    if page.offset == 0 and shown == page.total:
        return f"{page.total} item(s)"
    if not shown:
        return f"no items from offset {page.offset} ({page.total} item(s) in all)"
    last = page.offset + shown
    more = f"; --offset {last} for the next page" if last < page.total else ""
    return f"items {page.offset + 1}-{last} of {page.total}{more}"


def items_json(
    items: Sequence[FeedbackItem],
    email_failures: Mapping[str, str] | None = None,
    duplicate_counts: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    failures, counts = email_failures or {}, duplicate_counts or {}
    documents = [
        _item_json(item)
        | {"email_failure": failures.get(item.id), "duplicates": counts.get(item.id, 0)}
        for item in items
    ]
    return {"items": documents, "count": len(items)}


def page_json(page: QueuePage, email_failures: Mapping[str, str]) -> dict[str, Any]:
    document = items_json(page.items, email_failures, page.duplicate_counts)
    return document | {"total": page.total, "offset": page.offset}


def write_csv(page: QueuePage, email_failures: Mapping[str, str], out: TextIO) -> None:
    """The ``--json`` fields as CSV columns; a cell a spreadsheet would run as a formula is
    prefixed with ``'`` so it shows as text."""
    rows = page_json(page, email_failures)["items"]
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for row in rows:
        writer.writerow([_csv_cell(row[name]) for name in CSV_FIELDS])


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = ";".join(value)
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _item_json(item: FeedbackItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "created_at": utc_iso(item.created_at),
        "text": item.text,
        "submitter": item.submitter,
        "source": item.source,
        "customer": item.customer,
        "segment": item.segment,
        "arr": item.arr,
        "tags": list(item.tags),
        "status": item.status,
        "area": item.area,
        "owner_team": item.owner_team,
        "assignee": item.assignee,
        "priority": item.priority,
        "score": item.score,
        "rule": item.rule,
        "duplicate_of": item.duplicate_of,
        "due_at": utc_iso(item.due_at),
        "warn_at": utc_iso(item.warn_at),
        "warned_at": utc_iso(item.warned_at),
        "escalated_at": utc_iso(item.escalated_at),
        "external_id": item.external_id,
    }


def history_table(
    item: FeedbackItem, events: Sequence[Any], timezone: str, *, boxed: bool = True
) -> Table:
    """Every change to the item, oldest first, its time in ``timezone`` (named in the header)."""
    title = f"{item.id} [{item.priority}] {item.status}, {item.area} / {item.assignee}"
    table = Table(title=Text(title), box=box.HEAVY_HEAD if boxed else None, pad_edge=boxed)
    for column in (f"at ({timezone})", "actor", "event"):
        table.add_column(column, no_wrap=True)
    table.add_column("detail")
    zone = ZoneInfo(timezone)
    for event in events:
        at = event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)
        table.add_row(
            f"{at.astimezone(zone):%Y-%m-%d %H:%M}",
            Text(event.actor),
            event.event,
            Text(event.detail),
        )
    return table


def history_json(item: FeedbackItem, events: Sequence[Any]) -> dict[str, Any]:
    return {
        "item": _item_json(item),
        "events": [
            {"at": utc_iso(e.at), "actor": e.actor, "event": e.event, "detail": e.detail}
            for e in events
        ],
    }


def quarantine_table(rows: Iterable[Any]) -> Table:
    table = Table("origin", "line", "reason", "row")
    for q in rows:
        table.add_row(Text(q.origin), str(q.line), Text(q.reason), Text(q.raw[:80]))
    return table


def quarantine_json(rows: Sequence[Any]) -> dict[str, Any]:
    """Each quarantined row: where it came from, why, and the row as it was read."""
    return {
        "rows": [
            {
                "origin": q.origin,
                "line": q.line,
                "reason": q.reason,
                "raw": q.raw,
                "quarantined_at": utc_iso(q.at),
            }
            for q in rows
        ],
        "count": len(rows),
    }


def print_rule_test(item: FeedbackInput, settings: FeedbackSettings, out: Console) -> None:
    """Each rule up to the first match with its reasons, then where the item would go."""
    for verdict in explain(item, settings):
        mark = "MATCH" if verdict.matched else "no"
        out.print(f"{mark:5}  rule {verdict.rule}")
        for reason in verdict.reasons:
            out.print(Text(f"         {reason}"))
    routing = route(item, settings, 0)
    who = "(round robin)" if routing.rule is None else routing.assignee
    out.print(
        f"→ area {routing.area}, team {routing.owner_team}, assignee {who}, "
        f"priority {routing.priority}, score {routing.score:g}"
    )
