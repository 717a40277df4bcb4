"""Owners acting on an item: acknowledge it, or resolve it with a status and a note.

Each action is one guarded UPDATE (it only applies from the states it is valid in) plus a
history row, so two people acting at once cannot both succeed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from opsrhythm.rituals.feedback.close_loop import queue_replies
from opsrhythm.rituals.feedback.vocabulary import Resolution

if TYPE_CHECKING:
    from opsrhythm.rituals.feedback.ledger import FeedbackLedger


class ActionRefused(Exception):
    """The item is missing or not in a state the action applies to; the message says which."""


def acknowledge(ledger: FeedbackLedger, item_id: str, actor: str) -> None:
    _transition(ledger, item_id, actor, ("new",), "acknowledged", "acknowledged", "")


def resolve(
    ledger: FeedbackLedger, item_id: str, actor: str, status: Resolution, note: str
) -> None:
    if not note.strip():
        raise ActionRefused("a resolution needs a note for the submitters")
    _transition(ledger, item_id, actor, ("new", "acknowledged"), status, "resolved", note)
    queue_replies(ledger, item_id, status, note)


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
            raise ActionRefused(f"{item_id} is already {found.status}")
        detail = status if not note else f"{status}: {note}"
        ledger.record(conn, item_id, actor, event, detail)
