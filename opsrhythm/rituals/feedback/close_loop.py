"""Closing the loop: every submitter of a resolved item hears the outcome, batched per person.

Resolving queues one reply per submitter (a merged duplicate's submitters included). Resolving
again (planned -> shipped) or reopening queues the news again: the pending reply takes the
latest outcome, and each round is its own message in the send ledger (``reply_kind``), so a
submitter told "planned" is told "shipped" too. The SLA
watcher's sweep sends the replies that have waited the reply window, one email per submitter
with all their items, so several resolutions close together arrive as one message. A reply that
cannot be sent (a refused address) is settled as failed, recorded in the item's history
(``reply-failed``), and not tried again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from typing import TYPE_CHECKING

import sqlalchemy as sa

from opsrhythm.platform.models import RenderedEmail
from opsrhythm.rituals.feedback.models import snippet

if TYPE_CHECKING:
    from opsrhythm.rituals.feedback.ledger import FeedbackLedger

REOPENED = "reopened"
CHANGES = ("resolved", REOPENED)
"""History events that each give the submitters news: the count is the reply's round."""
STATUS_WORDS = {
    REOPENED: "was reopened",
    "shipped": "has shipped",
    "planned": "is planned",
    "declined": "was declined",
    "duplicate": "was merged with an existing request",
}


def queue_replies(ledger: FeedbackLedger, item_id: str, status: str, note: str) -> None:
    """Queue the news for every submitter, replacing any earlier news not yet sent."""
    now = datetime.now(UTC)
    news = {"status": status, "note": note, "queued_at": now, "sent_at": None}
    rows = [{"item_id": item_id, "email": email} | news for email in ledger.submitters_of(item_id)]
    if rows:
        r = ledger.replies
        with ledger.engine.begin() as conn:
            conn.execute(sa.update(r).where(r.c.item_id == item_id).values(news))
            ledger.insert_ignore(conn, ledger.replies, rows)


def reply_kind(round_number: int) -> str:
    """The send ledger's message kind: the first round keeps the name replies always had."""
    return "close-loop" if round_number <= 1 else f"close-loop-{round_number}"


def replies_due(ledger: FeedbackLedger, now: datetime, window: timedelta) -> dict[str, list[Reply]]:
    """Unsent replies per submitter, for submitters whose oldest reply has waited the window."""
    r, t, h = ledger.replies, ledger.items, ledger.history
    rounds = (
        sa.select(sa.func.count())
        .where(h.c.item_id == r.c.item_id, h.c.event.in_(CHANGES))
        .scalar_subquery()
    )
    columns = (r.c.item_id, r.c.email, r.c.status, r.c.note, r.c.queued_at, t.c.text, t.c.area)
    query = (
        sa.select(*columns, rounds.label("round"))
        .join(t, t.c.id == r.c.item_id)
        .where(r.c.sent_at.is_(None))
        .order_by(r.c.email, r.c.queued_at, r.c.item_id)
    )
    pending: dict[str, list[Reply]] = defaultdict(list)
    with ledger.engine.connect() as conn:
        for row in conn.execute(query):
            queued = row.queued_at if row.queued_at.tzinfo else row.queued_at.replace(tzinfo=UTC)
            pending[row.email].append(
                Reply(row.item_id, row.status, row.note, row.text, queued, row.area, row.round)
            )
    return {e: items for e, items in pending.items() if items[0].queued_at + window <= now}


def next_reply_at(ledger: FeedbackLedger, window: timedelta) -> datetime | None:
    r = ledger.replies
    with ledger.engine.connect() as conn:
        oldest: datetime | None = conn.scalar(
            sa.select(sa.func.min(r.c.queued_at)).where(r.c.sent_at.is_(None))
        )
    if oldest is None:
        return None
    return (oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)) + window


def mark_replied(ledger: FeedbackLedger, email: str, item_ids: list[str]) -> None:
    r = ledger.replies
    with ledger.engine.begin() as conn:
        conn.execute(
            sa.update(r)
            .where(r.c.email == email, r.c.item_id.in_(item_ids), r.c.sent_at.is_(None))
            .values(sent_at=datetime.now(UTC))
        )
        for item_id in item_ids:
            ledger.record(conn, item_id, "close-loop", "replied", f"told {email}")


def mark_reply_failed(ledger: FeedbackLedger, email: str, item_ids: list[str], detail: str) -> None:
    """Settle these replies as failed: recorded on each item, and not tried again."""
    r = ledger.replies
    with ledger.engine.begin() as conn:
        pending = sa.and_(r.c.email == email, r.c.item_id.in_(item_ids), r.c.sent_at.is_(None))
        unsettled = list(conn.scalars(sa.select(r.c.item_id).where(pending)))
        conn.execute(sa.update(r).where(pending).values(sent_at=datetime.now(UTC)))
        for item_id in unsettled:
            ledger.record(conn, item_id, "close-loop", "reply-failed", detail)


@dataclass(frozen=True)
class Reply:
    item_id: str
    status: str
    note: str
    text: str
    queued_at: datetime
    area: str = ""
    round: int = 1
    """How many times the item's outcome has changed, this time included."""


def render_replies(replies: list[Reply]) -> RenderedEmail:
    count = len(replies)
    subject = (
        f"Your feedback {STATUS_WORDS.get(replies[0].status, replies[0].status)}"
        if count == 1
        else f"Updates on {count} pieces of your feedback"
    )
    intro = "Thank you for your feedback. Here is what happened:"
    lines = [
        f'- "{snippet(r.text, 200)}" {STATUS_WORDS.get(r.status, r.status)}. {r.note}'
        for r in replies
    ]
    items = "".join(
        f"<li><q>{escape(snippet(r.text, 200))}</q> {escape(STATUS_WORDS.get(r.status, r.status))}."
        f"<br>{escape(r.note)}</li>"
        for r in replies
    )
    return RenderedEmail(
        subject=subject,
        text="\n".join([intro, "", *lines]),
        html=f"<p>{escape(intro)}</p><ul>{items}</ul>",
    )
