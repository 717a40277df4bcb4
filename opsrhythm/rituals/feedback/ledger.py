"""The feedback ledger: items, their submitters, history and quarantine, in SQLAlchemy.

The system of record: workflows and commands hold item ids and read or write here. Inserts are
keyed by the item id (derived from the row's content hash), so a retried or repeated import
writes nothing twice. Works on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from opsrhythm.platform.db.startup import open_engine
from opsrhythm.rituals.feedback.ledger_writes import insert_ignore, store_items
from opsrhythm.rituals.feedback.models import FeedbackItem

_IN_CHUNK = 500
OPEN_ORIGINAL = ("new", "acknowledged")
"""The statuses of an item that near-duplicates may still be linked to (not a duplicate itself)."""
EMAIL_FAILURES = (
    "sla-warning-failed",
    "sla-escalation-failed",
    "sla-warning-unknown",
    "sla-escalation-unknown",
    "reply-failed",
)
"""History events of an email about an item that could not be sent (see the SLA sweep)."""
_EMAIL_SENT = ("sla-warning", "sla-escalation", "replied")


class FeedbackLedger:
    def __init__(self, engine: sa.Engine) -> None:
        """The ledger on ``engine``, whose schema Alembic keeps (``opsrhythm.platform.db``)."""
        self.engine = engine
        prefix = "opsrhythm_feedback"
        meta = sa.MetaData()
        self.items = sa.Table(
            f"{prefix}_items",
            meta,
            sa.Column("id", sa.String(32), primary_key=True),
            sa.Column("text", sa.Text(), nullable=False),
            sa.Column("submitter", sa.String(320), nullable=False),
            sa.Column("source", sa.String(16), nullable=False),
            sa.Column("customer", sa.String(255)),
            sa.Column("segment", sa.String(64)),
            sa.Column("arr", sa.Float()),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("tags", sa.Text(), nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("area", sa.String(64), nullable=False),
            sa.Column("owner_team", sa.String(64), nullable=False),
            sa.Column("assignee", sa.String(64), nullable=False),
            sa.Column("priority", sa.String(4), nullable=False),
            sa.Column("score", sa.Float(), nullable=False),
            sa.Column("rule", sa.String(64)),
            sa.Column("duplicate_of", sa.String(32)),
            sa.Column("due_at", sa.DateTime(timezone=True)),
            sa.Column("warn_at", sa.DateTime(timezone=True)),
            sa.Column("warned_at", sa.DateTime(timezone=True)),
            sa.Column("escalated_at", sa.DateTime(timezone=True)),
            sa.Column("external_id", sa.String(255)),
        )
        self.submitters = sa.Table(
            f"{prefix}_submitters",
            meta,
            sa.Column("item_id", sa.String(32), primary_key=True),
            sa.Column("email", sa.String(320), primary_key=True),
        )
        self.history = sa.Table(
            f"{prefix}_history",
            meta,
            sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column("item_id", sa.String(32), nullable=False, index=True),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("actor", sa.String(320), nullable=False),
            sa.Column("event", sa.String(32), nullable=False),
            sa.Column("detail", sa.Text(), nullable=False),
        )
        self.replies = sa.Table(
            f"{prefix}_replies",
            meta,
            sa.Column("item_id", sa.String(32), primary_key=True),
            sa.Column("email", sa.String(320), primary_key=True),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("note", sa.Text(), nullable=False),
            sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("sent_at", sa.DateTime(timezone=True)),
        )
        self.quarantine = sa.Table(
            f"{prefix}_quarantine",
            meta,
            sa.Column("hash", sa.String(64), primary_key=True),
            sa.Column("origin", sa.String(1024), nullable=False),
            sa.Column("line", sa.Integer(), nullable=False),
            sa.Column("raw", sa.Text(), nullable=False),
            sa.Column("reason", sa.Text(), nullable=False),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        )
        self.metadata = meta

    @classmethod
    def from_url(cls, url: str) -> FeedbackLedger:
        """The ledger on ``url``, its schema checked (or made) by ``startup.open_engine``."""
        return cls(open_engine(url))

    def close(self) -> None:
        self.engine.dispose()

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        with self.engine.connect() as conn:
            return {row.id for row in self._by_ids(conn, (self.items.c.id,), list(set(ids)))}

    def add(self, items: Sequence[FeedbackItem], *, actor: str = "import") -> int:
        """Insert the items not stored yet, with their submitter and history; the count."""
        return store_items(self, items, actor)

    def open_originals(self) -> tuple[int, list[tuple[str, str, str | None]]]:
        """The latest history seq, and (id, text, customer) of every open original as of it."""
        t = self.items
        query = (
            sa.select(t.c.id, t.c.text, t.c.customer)
            .where(t.c.duplicate_of.is_(None), t.c.status.in_(OPEN_ORIGINAL))
            .order_by(t.c.created_at, t.c.id)
        )
        with self.engine.connect() as conn:
            latest = conn.scalar(sa.select(sa.func.max(self.history.c.seq))) or 0
            return latest, [(row.id, row.text, row.customer) for row in conn.execute(query)]

    def changed_since(self, seq: int) -> tuple[int, set[str], list[sa.Row[Any]]]:
        """The latest history seq, the items first routed after ``seq``, and (id, text,
        customer, duplicate_of, status, area) of every item with history after it."""
        t, h = self.items, self.history
        columns = (t.c.id, t.c.text, t.c.customer, t.c.duplicate_of, t.c.status, t.c.area)
        with self.engine.connect() as conn:
            # Two narrow look-ups by key: a join made PostgreSQL scan every item each time.
            query = sa.select(h.c.seq, h.c.item_id, h.c.event).where(h.c.seq > seq)
            events = list(conn.execute(query))
            if not events:
                return seq, set(), []
            rows = self._by_ids(conn, columns, list(dict.fromkeys(e.item_id for e in events)))
        routed = {e.item_id for e in events if e.event == "routed"}
        return max(e.seq for e in events), routed, rows

    def _by_ids(
        self, conn: sa.Connection, columns: Sequence[sa.ColumnElement[Any]], ids: list[str]
    ) -> list[sa.Row[Any]]:
        t = self.items
        if conn.dialect.name == "postgresql":
            # One array parameter: hundreds of separate ones cost more to send than to look up.
            listed = sa.bindparam("ids", ids, type_=postgresql.ARRAY(sa.String))
            return list(conn.execute(sa.select(*columns).where(t.c.id == sa.any_(listed))))
        found: list[sa.Row[Any]] = []
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start : start + _IN_CHUNK]
            found.extend(conn.execute(sa.select(*columns).where(t.c.id.in_(chunk))))
        return found

    def count_in_area(self, area: str) -> int:
        query = sa.select(sa.func.count()).where(self.items.c.area == area)
        with self.engine.connect() as conn:
            return int(conn.scalar(query) or 0)

    def get(self, item_id: str) -> FeedbackItem | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(self.items).where(self.items.c.id == item_id)).first()
        return None if row is None else _item(row)

    def find(
        self,
        *,
        area: str | None = None,
        status: str | None = None,
        breaching_at: datetime | None = None,
    ) -> list[FeedbackItem]:
        t = self.items
        query = sa.select(t).order_by(t.c.created_at, t.c.id)
        if area is not None:
            query = query.where(t.c.area == area)
        if status is not None:
            query = query.where(t.c.status == status)
        if breaching_at is not None:
            query = query.where(
                t.c.status == "new", t.c.duplicate_of.is_(None), t.c.due_at <= breaching_at
            )
        with self.engine.connect() as conn:
            return [_item(row) for row in conn.execute(query)]

    def select_items(self, where: sa.ColumnElement[bool]) -> list[FeedbackItem]:
        query = sa.select(self.items).where(where).order_by(self.items.c.due_at, self.items.c.id)
        with self.engine.connect() as conn:
            return [_item(row) for row in conn.execute(query)]

    def submitters_of(self, item_id: str) -> list[str]:
        t = self.submitters
        query = sa.select(t.c.email).where(t.c.item_id == item_id).order_by(t.c.email)
        with self.engine.connect() as conn:
            return list(conn.scalars(query))

    def record(
        self, conn: sa.Connection, item_id: str, actor: str, event: str, detail: str
    ) -> None:
        row = {"item_id": item_id, "at": datetime.now(UTC), "actor": actor, "event": event}
        conn.execute(sa.insert(self.history), row | {"detail": detail})

    def events(self, item_id: str) -> list[tuple[str, str, str]]:
        """(actor, event, detail) in order."""
        t = self.history
        query = sa.select(t.c.actor, t.c.event, t.c.detail).where(t.c.item_id == item_id)
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(query.order_by(t.c.seq))]

    def email_failures(self) -> dict[str, str]:
        """Per item, why its latest email could not be sent, unless one has gone since."""
        t = self.history
        events = t.c.event.in_(EMAIL_FAILURES + _EMAIL_SENT)
        query = sa.select(t.c.item_id, t.c.event, t.c.detail).where(events).order_by(t.c.seq)
        found: dict[str, str] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                if row.event in EMAIL_FAILURES:
                    found[row.item_id] = row.detail
                else:
                    found.pop(row.item_id, None)
        return found

    def quarantine_rows(self, rows: Sequence[dict[str, Any]]) -> int:
        """Record malformed rows (hash, origin, line, raw, reason); the count of new ones."""
        if not rows:
            return 0
        known = self._known_quarantine([r["hash"] for r in rows])
        fresh = list({r["hash"]: r for r in rows if r["hash"] not in known}.values())
        if fresh:
            now = datetime.now(UTC)
            with self.engine.begin() as conn:
                self.insert_ignore(conn, self.quarantine, [{**r, "at": now} for r in fresh])
        return len(fresh)

    def quarantined(self) -> list[sa.Row[Any]]:
        q = self.quarantine
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(q).order_by(q.c.at, q.c.origin, q.c.line)))

    def _known_quarantine(self, hashes: list[str]) -> set[str]:
        q = self.quarantine
        found: set[str] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(hashes), _IN_CHUNK):
                chunk = hashes[start : start + _IN_CHUNK]
                found.update(conn.scalars(sa.select(q.c.hash).where(q.c.hash.in_(chunk))))
        return found

    @staticmethod
    def insert_ignore(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        insert_ignore(conn, table, rows)


def _item(row: sa.Row[Any]) -> FeedbackItem:
    data = dict(row._mapping)
    data["tags"] = json.loads(data["tags"])
    for field in ("created_at", "due_at", "warn_at", "warned_at", "escalated_at"):
        if data[field] is not None and data[field].tzinfo is None:
            # SQLite hands back naive datetimes; every value here was written in UTC.
            data[field] = data[field].replace(tzinfo=UTC)
    return FeedbackItem.model_validate(data)
