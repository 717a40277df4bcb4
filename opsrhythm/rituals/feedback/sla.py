"""SLA bookkeeping in the feedback ledger: which items are due a warning or an escalation, and
when the next one falls due, so one watcher can sleep on a durable timer until exactly then.

Only open originals count: an acknowledged, resolved or merged item stops its clock. A notice
that could not be sent is recorded in the item's history (``sla-warning-failed``,
``sla-escalation-failed``) with the reason, and is not tried again. One whose outcome is unknown
is recorded as ``sla-warning-unknown`` (or ``-escalation-``) and stays due: its send-ledger row
holds it until an operator settles it (``opsrhythm ledger resolve``), and the next sweep then
sends it or marks it sent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import sqlalchemy as sa

from opsrhythm.rituals.feedback.models import FeedbackItem

if TYPE_CHECKING:
    from opsrhythm.rituals.feedback.ledger import FeedbackLedger

NoticeKind = Literal["warning", "escalation"]


def due_notices(ledger: FeedbackLedger, kind: NoticeKind, now: datetime) -> list[FeedbackItem]:
    t = ledger.items
    if kind == "warning":
        when = sa.and_(t.c.warned_at.is_(None), t.c.warn_at <= now, t.c.due_at > now)
    else:
        when = sa.and_(t.c.escalated_at.is_(None), t.c.due_at <= now)
    h = ledger.history
    failed = sa.exists().where(h.c.item_id == t.c.id, h.c.event == failed_event(kind))
    return ledger.select_items(sa.and_(_open(ledger), when, ~failed))


def failed_event(kind: NoticeKind, *, held: bool = False) -> str:
    return f"sla-{kind}-{'unknown' if held else 'failed'}"


def next_deadline(ledger: FeedbackLedger, now: datetime) -> datetime | None:
    """The earliest warning or breach still to come, if any."""
    t = ledger.items
    warn = sa.select(sa.func.min(t.c.warn_at)).where(
        _open(ledger), t.c.warned_at.is_(None), t.c.warn_at > now
    )
    due = sa.select(sa.func.min(t.c.due_at)).where(
        _open(ledger), t.c.escalated_at.is_(None), t.c.due_at > now
    )
    with ledger.engine.connect() as conn:
        moments = [conn.scalar(warn), conn.scalar(due)]
    found = [m if m.tzinfo else m.replace(tzinfo=UTC) for m in moments if m is not None]
    return min(found, default=None)


def mark_notified(
    ledger: FeedbackLedger, items: list[FeedbackItem], kind: NoticeKind, recipient: str
) -> None:
    """Record the notice on each item, once; a repeated call changes nothing."""
    if not items:
        return
    t = ledger.items
    column = t.c.warned_at if kind == "warning" else t.c.escalated_at
    now = datetime.now(UTC)
    with ledger.engine.begin() as conn:
        for item in items:
            done = conn.execute(
                sa.update(t).where(t.c.id == item.id, column.is_(None)).values({column: now})
            ).rowcount
            if done:
                ledger.record(conn, item.id, "sla", f"sla-{kind}", f"sent to {recipient}")


def mark_failed(
    ledger: FeedbackLedger,
    item_ids: list[str],
    kind: NoticeKind,
    detail: str,
    *,
    held: bool = False,
) -> None:
    """Record on each item that its notice could not be sent, once; the sweep then skips it,
    unless ``held`` (the outcome is unknown): the send ledger decides that one."""
    h, event = ledger.history, failed_event(kind, held=held)
    with ledger.engine.begin() as conn:
        for item_id in item_ids:
            known = sa.select(h.c.seq).where(h.c.item_id == item_id, h.c.event == event)
            if conn.execute(known).first() is None:
                ledger.record(conn, item_id, "sla", event, detail)


def _open(ledger: FeedbackLedger) -> sa.ColumnElement[bool]:
    t = ledger.items
    return sa.and_(t.c.status == "new", t.c.duplicate_of.is_(None), t.c.due_at.is_not(None))
