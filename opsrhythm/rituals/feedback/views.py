"""What the ``feedback`` commands print: item and quarantine tables, and a rule explanation.

Feedback text is untrusted: it goes in as ``Text``, which rich never reads as markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from opsrhythm.rituals.feedback.config import FeedbackSettings
from opsrhythm.rituals.feedback.models import FeedbackInput, FeedbackItem
from opsrhythm.rituals.feedback.rules import explain, route


def items_table(items: Sequence[FeedbackItem]) -> Table:
    table = Table("area", "team", "assignee", "prio", "score", "status", "due", "text")
    table.add_column("id", no_wrap=True)
    for item in items:
        table.add_row(
            item.area,
            item.owner_team,
            item.assignee,
            item.priority,
            f"{item.score:g}",
            item.status,
            item.due_at.strftime("%Y-%m-%d") if item.due_at else "",
            Text(item.text[:60]),
            item.id,
        )
    return table


def quarantine_table(rows: Iterable[Any]) -> Table:
    table = Table("origin", "line", "reason", "row")
    for q in rows:
        table.add_row(Text(q.origin), str(q.line), Text(q.reason), Text(q.raw[:80]))
    return table


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
