"""The send ledger: a row per (workflow, audience, message, recipient), so nobody is emailed twice.

SendGrid's Mail Send has no idempotency key, so duplicate protection lives here. A recipient is
claimed ('sending') before the request and marked 'sent' after it; a definite failure releases
the row ('failed', claimable again). A row left in 'sending' means an attempt stopped with the
outcome unknown: it is reported and never resent, because a visible gap can be fixed by a person
and a duplicate cannot be unsent. ``unknown()`` lists such rows and ``resolve()`` settles them
for an operator (``opsrhythm ledger``). Works on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, Literal, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from opsrhythm.platform.db.startup import open_engine
from opsrhythm.platform.ledger_keys import DATABASE_URL_ENV, MessageKey, default_database_url

__all__ = [
    "DATABASE_URL_ENV",
    "Claim",
    "MessageKey",
    "SendLedger",
    "UnknownOutcome",
    "default_database_url",
]

DEFAULT_TABLE = "opsrhythm_send_ledger"
Status = Literal["sending", "sent", "failed"]
_DETAIL_LIMIT = 1000
# Keeps every IN list well under SQLite's and PostgreSQL's bound-parameter limits.
_IN_CHUNK = 500
_KEY_COLUMNS = ("workflow_id", "audience_id", "message_kind", "email")
_ORDER = attrgetter(*_KEY_COLUMNS)


@dataclass(frozen=True)
class Claim:
    """What a claim found: keys this caller may send now, ones already sent, and ones in doubt."""

    claimed: list[MessageKey]
    already_sent: list[MessageKey]
    in_flight: list[tuple[MessageKey, datetime]]
    """Left in 'sending' by an attempt that stopped (or is still running), with the time."""


@dataclass(frozen=True)
class UnknownOutcome:
    """A row left 'sending': its request may or may not have reached the recipient."""

    key: MessageKey
    since: datetime


class SendLedger:
    def __init__(self, engine: sa.Engine) -> None:
        """The ledger on ``engine``, whose schema Alembic keeps (``opsrhythm.platform.db``)."""
        self.engine = engine
        self.table = sa.Table(
            DEFAULT_TABLE,
            sa.MetaData(),
            sa.Column("workflow_id", sa.String(512), primary_key=True),
            sa.Column("audience_id", sa.String(255), primary_key=True),
            sa.Column("message_kind", sa.String(64), primary_key=True),
            sa.Column("email", sa.String(320), primary_key=True),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("transport", sa.String(16), nullable=False),
            sa.Column("claim_id", sa.String(32), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("detail", sa.Text(), nullable=False),
        )

    @classmethod
    def from_url(cls, url: str) -> SendLedger:
        """The ledger on ``url``, its schema checked (or made) by ``startup.open_engine``."""
        return cls(open_engine(url))

    def close(self) -> None:
        self.engine.dispose()

    def claim(self, keys: Iterable[MessageKey], *, transport: str = "") -> Claim:
        """Mark new and failed keys as 'sending' for this caller, all in one transaction."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return Claim([], [], [])
        token = uuid.uuid4().hex
        now = datetime.now(UTC)
        fresh = {"status": "sending", "transport": transport, "claim_id": token, "updated_at": now}
        t = self.table
        # One lock order for every worker, so overlapping claims wait rather than deadlock.
        ordered = sorted(wanted, key=_ORDER)
        with self.engine.begin() as conn:
            self._insert_missing(conn, [{**_columns(k), **fresh, "detail": ""} for k in ordered])
            for group, emails in _grouped(ordered):
                conn.execute(
                    sa.update(t)
                    .where(self._matching(group, emails), t.c.status == "failed")
                    .values(**fresh, detail="")
                )
            rows = self._rows(conn, wanted)
        claim = Claim([], [], [])
        for key in wanted:
            row = rows[key]
            if row.status == "sending" and row.claim_id == token:
                claim.claimed.append(key)
            elif row.status == "sent":
                claim.already_sent.append(key)
            else:
                claim.in_flight.append((key, _aware(row.updated_at)))
        return claim

    def mark_sent(self, keys: Sequence[MessageKey]) -> None:
        self._set_status(keys, "sent", "", self.table.c.status != "sent")

    def release(self, keys: Sequence[MessageKey], error: str) -> None:
        """Record a definite failure: the keys become claimable again."""
        self._set_status(keys, "failed", error[:_DETAIL_LIMIT], self.table.c.status == "sending")

    def statuses(self, keys: Sequence[MessageKey]) -> dict[MessageKey, Status]:
        """The recorded status of each key that has a row."""
        with self.engine.connect() as conn:
            rows = self._rows(conn, list(keys))
        return {key: cast(Status, row.status) for key, row in rows.items()}

    def unknown(self) -> list[UnknownOutcome]:
        """Every row left 'sending', oldest first."""
        t = self.table
        query = (
            sa.select(t).where(t.c.status == "sending").order_by(t.c.updated_at, *t.c[_KEY_COLUMNS])
        )
        with self.engine.connect() as conn:
            return [
                UnknownOutcome(
                    MessageKey(*(getattr(row, c) for c in _KEY_COLUMNS)), _aware(row.updated_at)
                )
                for row in conn.execute(query)
            ]

    def resolve(
        self, workflow_id: str, emails: Sequence[str] | None, *, resend: bool, note: str
    ) -> list[MessageKey]:
        """Settle a workflow's 'sending' rows (only ``emails``' if given) and return their keys.

        ``resend`` makes them claimable again (a re-run sends them); otherwise they are recorded
        as sent. Rows in any other state are left alone.
        """
        t = self.table
        where = sa.and_(t.c.workflow_id == workflow_id, t.c.status == "sending")
        with self.engine.begin() as conn:
            rows = conn.execute(sa.select(*t.c[_KEY_COLUMNS]).where(where)).all()
            wanted = None if emails is None else {e.strip().lower() for e in emails}
            keys = sorted(
                (MessageKey(*row) for row in rows if wanted is None or row.email in wanted),
                key=_ORDER,
            )
            values = {
                "status": "failed" if resend else "sent",
                "detail": note[:_DETAIL_LIMIT],
                "updated_at": datetime.now(UTC),
            }
            for group, chosen in _grouped(keys):
                conn.execute(
                    sa.update(t)
                    .where(self._matching(group, chosen), t.c.status == "sending")
                    .values(**values)
                )
        return keys

    def _set_status(
        self, keys: Sequence[MessageKey], status: Status, detail: str, when: sa.ColumnElement[bool]
    ) -> None:
        if not keys:
            return
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            for group, emails in _grouped(sorted(set(keys), key=_ORDER)):
                conn.execute(
                    sa.update(self.table)
                    .where(self._matching(group, emails), when)
                    .values(status=status, detail=detail, updated_at=now)
                )

    def _insert_missing(self, conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
        name = conn.dialect.name
        if name in ("postgresql", "sqlite"):
            dialect_insert = postgresql.insert if name == "postgresql" else sqlite.insert
            conn.execute(dialect_insert(self.table).on_conflict_do_nothing(), rows)
            return
        for row in rows:
            try:
                with conn.begin_nested():
                    conn.execute(sa.insert(self.table), row)
            except IntegrityError:
                pass  # another worker holds this key; the status read below reports it

    def _rows(self, conn: sa.Connection, keys: list[MessageKey]) -> dict[MessageKey, sa.Row[Any]]:
        found: dict[MessageKey, sa.Row[Any]] = {}
        for group, emails in _grouped(keys):
            for row in conn.execute(sa.select(self.table).where(self._matching(group, emails))):
                found[MessageKey(*group, row.email)] = row
        return found

    def _matching(self, group: tuple[str, str, str], emails: list[str]) -> sa.ColumnElement[bool]:
        t = self.table
        workflow_id, audience_id, message_kind = group
        return sa.and_(
            t.c.workflow_id == workflow_id,
            t.c.audience_id == audience_id,
            t.c.message_kind == message_kind,
            t.c.email.in_(emails),
        )


def _columns(key: MessageKey) -> dict[str, str]:
    return {name: getattr(key, name) for name in _KEY_COLUMNS}


def _grouped(keys: list[MessageKey]) -> Iterator[tuple[tuple[str, str, str], list[str]]]:
    groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for key in keys:
        groups[(key.workflow_id, key.audience_id, key.message_kind)].append(key.email)
    for group, emails in groups.items():
        for start in range(0, len(emails), _IN_CHUNK):
            yield group, emails[start : start + _IN_CHUNK]


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every value here was written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
