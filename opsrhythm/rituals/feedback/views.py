"""What the ``feedback`` commands print: item and quarantine tables or their ``--json``
documents, and a rule explanation.

Feedback text is untrusted: it goes in as ``Text``, which rich never reads as markup. The JSON
field names are a stable interface, listed in the README: add fields, never rename one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from opsrhythm.platform.terminal import utc_iso
from opsrhythm.rituals.feedback.config import FeedbackSettings
from opsrhythm.rituals.feedback.models import FeedbackInput, FeedbackItem
from opsrhythm.rituals.feedback.rules import explain, route


def items_table(
    items: Sequence[FeedbackItem], email_failures: Mapping[str, str] | None = None
) -> Table:
    """``email_failures``: per item id, why an email about it could not be sent."""
    failures = email_failures or {}
    table = Table("area", "team", "assignee", "prio", "score", "status", "due", "text")
    table.add_column("id", no_wrap=True)
    for item in items:
        table.add_row(
            item.area,
            item.owner_team,
            item.assignee,
            item.priority,
            f"{item.score:g}",
            item.status + (" (email failed)" if item.id in failures else ""),
            item.due_at.strftime("%Y-%m-%d") if item.due_at else "",
            Text(item.text[:60]),
            item.id,
        )
    return table


def items_json(
    items: Sequence[FeedbackItem], email_failures: Mapping[str, str] | None = None
) -> dict[str, Any]:
    failures = email_failures or {}
    documents = [_item_json(item) | {"email_failure": failures.get(item.id)} for item in items]
    return {"items": documents, "count": len(items)}


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
