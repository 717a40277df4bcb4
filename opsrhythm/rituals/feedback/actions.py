"""Owners acting on an item: acknowledge it, resolve it with a status and a note (again, to
change the outcome, as planned -> shipped), reopen it, reassign it, change its priority, or
comment on it.

Each change is one guarded UPDATE (it only applies from the states it is valid in) plus a
history row, so two people acting at once cannot both succeed. Every resolution and reopening
is queued for the submitters (``close_loop``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from opsrhythm.rituals.feedback.close_loop import REOPENED, queue_replies
from opsrhythm.rituals.feedback.vocabulary import OPEN, RESOLUTIONS, Resolution

if TYPE_CHECKING:
    from opsrhythm.rituals.feedback.config import Priority
    from opsrhythm.rituals.feedback.ledger import FeedbackLedger
    from opsrhythm.rituals.feedback.models import FeedbackItem

COMMENT_LIMIT = 10_000


class ActionRefused(Exception):
    """The item is missing or not in a state the action applies to; the message says which."""


def acknowledge(ledger: FeedbackLedger, item_id: str, actor: str) -> None:
    _transition(ledger, item_id, actor, ("new",), "acknowledged", "acknowledged", "")


def resolve(
    ledger: FeedbackLedger, item_id: str, actor: str, status: Resolution, note: str
) -> None:
    if not note.strip():
        raise ActionRefused("a resolution needs a note for the submitters")
    allowed = tuple(s for s in (OPEN, "acknowledged", *RESOLUTIONS) if s != status)
    _transition(ledger, item_id, actor, allowed, status, "resolved", note)
    queue_replies(ledger, item_id, status, note)


def reopen(ledger: FeedbackLedger, item_id: str, actor: str, note: str) -> None:
    """A resolved item back to acknowledged (its SLA clock stays stopped); submitters told."""
    if not note.strip():
        raise ActionRefused("reopening needs a note for the submitters")
    _transition(ledger, item_id, actor, RESOLUTIONS, "acknowledged", REOPENED, note)
    queue_replies(ledger, item_id, REOPENED, note)


def _transition(
    ledger: FeedbackLedger,
    item_id: str,
    actor: str,
    allowed: tuple[str, ...],
    status: str,
    event: str,
    note: str,
) -> None:
    t = ledger.items
    with ledger.engine.begin() as conn:
        changed = conn.execute(
            sa.update(t)
            .where(t.c.id == item_id, t.c.status.in_(allowed), t.c.duplicate_of.is_(None))
            .values(status=status)
        ).rowcount
        if not changed:
            row = conn.execute(sa.select(t.c.status, t.c.duplicate_of).where(t.c.id == item_id))
            found = row.first()
            if found is None:
                raise ActionRefused(f"no feedback item {item_id!r}")
            if found.duplicate_of is not None:
                raise ActionRefused(
                    f"{item_id} is a duplicate of {found.duplicate_of}; act on the original"
                )
            if event == REOPENED:
                raise ActionRefused(f"{item_id} is {found.status}, not resolved")
            raise ActionRefused(f"{item_id} is already {found.status}")
        detail = status if not note else f"{status}: {note}"
        ledger.record(conn, item_id, actor, event, detail)


def assign(ledger: FeedbackLedger, item_id: str, actor: str, assignee: str) -> str:
    """Give the item to ``assignee`` (a person id); the previous assignee."""
    before = _original(ledger, item_id).assignee
    if before == assignee:
        raise ActionRefused(f"{item_id} is already assigned to {assignee}")
    detail = f"{before} -> {assignee}"
    _change(ledger, item_id, actor, ("assignee", before), {"assignee": assignee}, detail)
    return before


def set_priority(
    ledger: FeedbackLedger,
    item_id: str,
    actor: str,
    priority: Priority,
    deadlines: Callable[[FeedbackItem], tuple[datetime, datetime] | None],
) -> FeedbackItem:
    """The new priority, and its SLA's deadlines from ``deadlines`` (the item as changed)
    while the item is still new; the item as it was."""
    item = _original(ledger, item_id)
    if item.priority == priority:
        raise ActionRefused(f"{item_id} is already {priority}")
    values: dict[str, object] = {"priority": priority}
    if item.status == OPEN:
        warn, due = deadlines(item.model_copy(update={"priority": priority})) or (None, None)
        values |= {"warn_at": warn, "due_at": due}
    detail = f"{item.priority} -> {priority}"
    _change(ledger, item_id, actor, ("priority", item.priority), values, detail)
    return item


def comment(ledger: FeedbackLedger, item_id: str, actor: str, text: str) -> None:
    """A note in the item's history, for whoever works on it next (submitters are not told)."""
    if not text.strip():
        raise ActionRefused("a comment needs some text")
    if len(text) > COMMENT_LIMIT:
        raise ActionRefused(f"a comment is at most {COMMENT_LIMIT:,} characters")
    if "\x00" in text:
        raise ActionRefused("a comment cannot contain a NUL character")
    if ledger.get(item_id) is None:
        raise ActionRefused(f"no feedback item {item_id!r}")
    with ledger.engine.begin() as conn:
        ledger.record(conn, item_id, actor, "comment", text)


def _original(ledger: FeedbackLedger, item_id: str) -> FeedbackItem:
    item = ledger.get(item_id)
    if item is None:
        raise ActionRefused(f"no feedback item {item_id!r}")
    if item.duplicate_of is not None:
        raise ActionRefused(f"{item_id} is a duplicate of {item.duplicate_of}; act on the original")
    return item


def _change(
    ledger: FeedbackLedger,
    item_id: str,
    actor: str,
    was: tuple[str, str],
    values: dict[str, object],
    detail: str,
) -> None:
    """Apply ``values`` only if the column ``was`` names still holds what was read: of two
    people changing it at once, the second is told."""
    t = ledger.items
    column, before = was
    event = "assigned" if column == "assignee" else column
    with ledger.engine.begin() as conn:
        guarded = sa.update(t).where(t.c.id == item_id, t.c[column] == before)
        if not conn.execute(guarded.values(values)).rowcount:
            raise ActionRefused(f"{item_id} was changed meanwhile; look again")
        ledger.record(conn, item_id, actor, event, detail)
