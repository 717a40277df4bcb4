"""Linking a duplicate to its original, and undoing it, with the submitters kept on both sides.

The original collects every duplicate's submitter so that all of them hear back; unmerging
gives the duplicate back its own routing and removes from the original only the submitters
that no remaining link still brings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from opsrhythm.rituals.feedback.models import FeedbackItem

if TYPE_CHECKING:
    from opsrhythm.rituals.feedback.ledger import FeedbackLedger


class MergeError(Exception):
    """A merge or unmerge that cannot be done; the message says why."""


def link_duplicate(
    ledger: FeedbackLedger, conn: sa.Connection, item: FeedbackItem, actor: str
) -> None:
    """Record, inside the caller's transaction, that a just-stored item duplicates another."""
    assert item.duplicate_of is not None
    s = ledger.submitters
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(
        insert(s).on_conflict_do_nothing(), {"item_id": item.duplicate_of, "email": item.submitter}
    )
    conn.execute(
        sa.update(ledger.items).where(ledger.items.c.id == item.id).values(status="duplicate")
    )
    ledger.record(conn, item.id, actor, "merged", f"duplicate of {item.duplicate_of}")
    ledger.record(conn, item.duplicate_of, actor, "merged", f"{item.id} from {item.submitter}")


def merge(ledger: FeedbackLedger, item_id: str, original_id: str, actor: str) -> None:
    """Link an item to an original by hand."""
    item, original = ledger.get(item_id), ledger.get(original_id)
    if item is None or original is None:
        raise MergeError(f"no feedback item {item_id if item is None else original_id!r}")
    if item.duplicate_of is not None:
        raise MergeError(f"{item_id} is already a duplicate of {item.duplicate_of}")
    if original.duplicate_of is not None or item_id == original_id:
        raise MergeError(f"{original_id} is not an original item")
    linked = item.model_copy(update={"duplicate_of": original_id})
    with ledger.engine.begin() as conn:
        conn.execute(
            sa.update(ledger.items)
            .where(ledger.items.c.id == item_id)
            .values(duplicate_of=original_id)
        )
        link_duplicate(ledger, conn, linked, actor)


def unmerge(ledger: FeedbackLedger, item_id: str, actor: str) -> str:
    """Undo a link; returns the original's id."""
    item = ledger.get(item_id)
    if item is None:
        raise MergeError(f"no feedback item {item_id!r}")
    original_id = item.duplicate_of
    if original_id is None:
        raise MergeError(f"{item_id} is not linked to another item")
    t, s = ledger.items, ledger.submitters
    with ledger.engine.begin() as conn:
        conn.execute(sa.update(t).where(t.c.id == item_id).values(duplicate_of=None, status="new"))
        still = set(
            conn.scalars(
                sa.select(t.c.submitter).where(
                    sa.or_(t.c.id == original_id, t.c.duplicate_of == original_id)
                )
            )
        )
        if item.submitter not in still:
            conn.execute(
                sa.delete(s).where(s.c.item_id == original_id, s.c.email == item.submitter)
            )
        ledger.record(conn, item_id, actor, "unmerged", f"no longer a duplicate of {original_id}")
        ledger.record(conn, original_id, actor, "unmerged", f"{item_id} split off")
    return original_id
