"""The triage queue as ``feedback list`` pages through it: filtered, sorted and cut to one page
in the database, so a list of 20,000 items reads only the page it shows.

Sorts: ``created`` (oldest first, the default), ``score`` (highest first) and ``due`` (the
earliest SLA deadline first, items without one last); ties go by creation, then id. Each
original on the page comes with the number of items linked to it as near-duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from opsrhythm.rituals.feedback.models import FeedbackItem

if TYPE_CHECKING:
    from opsrhythm.rituals.feedback.ledger import FeedbackLedger

SORTS = ("created", "score", "due")


@dataclass(frozen=True)
class QueueFilter:
    area: str | None = None
    status: str | None = None
    breaching_at: datetime | None = None
    """Only open originals past their SLA at this moment."""
    hide_duplicates: bool = False


@dataclass(frozen=True)
class QueuePage:
    items: list[FeedbackItem]
    total: int
    """Items matching the filter, on every page."""
    offset: int
    duplicate_counts: dict[str, int] = field(default_factory=dict)
    """Per item on the page: how many items are linked to it as near-duplicates."""


def queue_page(
    ledger: FeedbackLedger, which: QueueFilter, *, sort: str, limit: int | None, offset: int
) -> QueuePage:
    """``limit`` None: every item from ``offset`` on."""
    t = ledger.items
    where = _conditions(ledger, which)
    orderings: dict[str, list[sa.ColumnElement[Any]]] = {
        "created": [t.c.created_at, t.c.id],
        "score": [t.c.score.desc(), t.c.created_at, t.c.id],
        "due": [t.c.due_at.is_(None), t.c.due_at, t.c.created_at, t.c.id],
    }
    ordering = orderings[sort]
    ids_query = sa.select(t.c.id).where(*where).order_by(*ordering).offset(offset).limit(limit)
    count_query = sa.select(sa.func.count()).select_from(t).where(*where)
    with ledger.engine.connect() as conn:
        ids = list(conn.scalars(ids_query))
        total = int(conn.scalar(count_query) or 0)
        counts = _duplicate_counts(conn, ledger, ids)
    found = {item.id: item for item in ledger.select_items(t.c.id.in_(ids))} if ids else {}
    return QueuePage([found[i] for i in ids if i in found], total, offset, counts)


def _conditions(ledger: FeedbackLedger, which: QueueFilter) -> list[sa.ColumnElement[bool]]:
    t = ledger.items
    where: list[sa.ColumnElement[bool]] = []
    if which.area is not None:
        where.append(t.c.area == which.area)
    if which.status is not None:
        where.append(t.c.status == which.status)
    if which.hide_duplicates:
        where.append(t.c.duplicate_of.is_(None))
    if which.breaching_at is not None:
        where += [t.c.status == "new", t.c.duplicate_of.is_(None), t.c.due_at <= which.breaching_at]
    return where


def _duplicate_counts(
    conn: sa.Connection, ledger: FeedbackLedger, ids: list[str]
) -> dict[str, int]:
    if not ids:
        return {}
    t = ledger.items
    query = (
        sa.select(t.c.duplicate_of, sa.func.count())
        .where(t.c.duplicate_of.in_(ids))
        .group_by(t.c.duplicate_of)
    )
    return {original: int(count) for original, count in conn.execute(query)}


def received_at(ledger: FeedbackLedger, item_id: str) -> datetime | None:
    """When the item was stored: its first history row."""
    h = ledger.history
    with ledger.engine.connect() as conn:
        found: datetime | None = conn.scalar(
            sa.select(sa.func.min(h.c.at)).where(h.c.item_id == item_id)
        )
    return found if found is None or found.tzinfo else found.replace(tzinfo=UTC)


def item_history(ledger: FeedbackLedger, item_id: str) -> list[sa.Row[Any]]:
    """(at, actor, event, detail) of every change to the item, oldest first."""
    h = ledger.history
    query = sa.select(h.c.at, h.c.actor, h.c.event, h.c.detail).where(h.c.item_id == item_id)
    with ledger.engine.connect() as conn:
        return list(conn.execute(query.order_by(h.c.seq)))
