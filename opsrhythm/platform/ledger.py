"""The send ledger: a row per (workflow, audience, message, recipient), so nobody is emailed twice.

SendGrid's Mail Send has no idempotency key, so duplicate protection lives here. A recipient is
claimed ('sending') before the request and marked 'sent' after it; a definite failure releases
the row ('failed', claimable again). A row left in 'sending' means an attempt stopped with the
outcome unknown: it is reported and never resent, because a visible gap can be fixed by a person
and a duplicate cannot be unsent. ``unknown()`` lists such rows and ``resolve()`` settles them
for an operator (``opsrhythm ledger``). Works on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, Literal, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

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
_KEY_COLUMNS = ("workflow_id", "audience_id", "message_kind", "email")
_ORDER = attrgetter(*_KEY_COLUMNS)
Group = tuple[str, str, str]
"""A message's keys share these: workflow id, audience id, message kind."""


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
        if engine.dialect.driver == "psycopg":
            sa.event.listen(engine, "connect", _plan_each_execution)

    @classmethod
    def from_url(cls, url: str) -> SendLedger:
        """The ledger on ``url``, its schema checked (or made) by ``startup.open_engine``."""
        return cls(open_engine(url))

    def close(self) -> None:
        self.engine.dispose()

    def claim(self, keys: Iterable[MessageKey], *, transport: str = "") -> Claim:
        """Mark new and failed keys as 'sending' for this caller, all in one transaction.

        One statement per message inserts its new keys and takes over its failed ones, returning
        exactly those; only keys it did not claim are read back, to say why.
        """
        wanted = list(dict.fromkeys(keys))
        found: dict[MessageKey, sa.Row[Any] | None] = {}
        with self.engine.begin() as conn:
            for group, members in _grouped(wanted):
                emails = [key.email for key in members]
                taken = set(conn.execute(self._claiming(conn, group, emails, transport)).scalars())
                rest = [key for key in members if key.email not in taken]
                rows = self._rows(conn, group, [key.email for key in rest]) if rest else {}
                found.update((key, None) for key in members if key.email in taken)
                found.update((key, rows[key.email]) for key in rest)
        claim = Claim([], [], [])
        for key in wanted:
            row = found[key]
            if row is None:
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
        found: dict[MessageKey, Status] = {}
        with self.engine.connect() as conn:
            for group, members in _grouped(list(dict.fromkeys(keys))):
                rows = self._rows(conn, group, [key.email for key in members])
                found.update(
                    (k, cast(Status, rows[k.email].status)) for k in members if k.email in rows
                )
        return found

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
        where = [t.c.workflow_id == workflow_id, t.c.status == "sending"]
        if emails is not None:
            chosen = sorted({e.strip().lower() for e in emails})
            where.append(t.c.email.in_(_email_set(self.engine.dialect.name, chosen)))
        settle = (
            sa.update(t)
            .where(*where)
            .values(
                status="failed" if resend else "sent",
                detail=note[:_DETAIL_LIMIT],
                updated_at=datetime.now(UTC),
            )
            .returning(*t.c[_KEY_COLUMNS])
        )
        with self.engine.begin() as conn:
            return sorted((MessageKey(*row) for row in conn.execute(settle)), key=_ORDER)

    def _set_status(
        self, keys: Sequence[MessageKey], status: Status, detail: str, when: sa.ColumnElement[bool]
    ) -> None:
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            for group, members in _grouped(list(dict.fromkeys(keys))):
                emails = [key.email for key in members]
                conn.execute(
                    sa.update(self.table)
                    .where(self._in_lock_order(conn, group, emails, when))
                    .values(status=status, detail=detail, updated_at=now)
                )

    def _claiming(
        self, conn: sa.Connection, group: Group, emails: list[str], transport: str
    ) -> sa.Executable:
        """Insert the keys not yet in the ledger and take over failed ones, returning both."""
        t = self.table
        dialect = conn.dialect.name
        email = _email_set(dialect, emails).subquery().c.email
        fresh = {
            "status": sa.literal("sending", t.c.status.type),
            "transport": sa.literal(transport, t.c.transport.type),
            "claim_id": sa.literal(uuid.uuid4().hex, t.c.claim_id.type),
            "updated_at": sa.literal(datetime.now(UTC), t.c.updated_at.type),
            "detail": sa.literal("", t.c.detail.type),
        }
        keyed = [
            sa.literal(value, t.c[column].type)
            for column, value in zip(_KEY_COLUMNS[:3], group, strict=True)
        ]
        # Rows are locked in email order by every claimer, so overlapping claims wait rather
        # than deadlock; SQLite needs the WHERE to parse INSERT ... SELECT ... ON CONFLICT.
        source = sa.select(*keyed, email, *fresh.values()).where(sa.true()).order_by(email)
        insert = postgresql.insert(t) if dialect == "postgresql" else sqlite.insert(t)
        return (
            insert.from_select([*_KEY_COLUMNS[:3], "email", *fresh], source)
            .on_conflict_do_update(
                index_elements=list(_KEY_COLUMNS), set_=fresh, where=t.c.status == "failed"
            )
            .returning(t.c.email)
        )

    def _rows(self, conn: sa.Connection, group: Group, emails: list[str]) -> dict[str, sa.Row[Any]]:
        query = sa.select(self.table).where(self._matching(conn, group, emails))
        return {row.email: row for row in conn.execute(query)}

    def _in_lock_order(
        self, conn: sa.Connection, group: Group, emails: list[str], when: sa.ColumnElement[bool]
    ) -> sa.ColumnElement[bool]:
        """The group's rows among ``emails`` that meet ``when``, on PostgreSQL locked in email
        order before an UPDATE changes them.

        An UPDATE joined to a set of emails locks rows in whatever order its join yields, and a
        claim's insert locks them in email order: taking the locks in that same order first
        makes two writers of the same keys wait for each other rather than deadlock. SQLite
        writes one transaction at a time, so there it would only cost time (a quarter more).
        """
        matching = self._matching(conn, group, emails)
        if conn.dialect.name != "postgresql":
            return sa.and_(matching, when)
        key = self.table.c[_KEY_COLUMNS]
        locked = sa.select(*key).where(matching, when).order_by(*key).with_for_update()
        return sa.tuple_(*key).in_(locked)

    def _matching(
        self, conn: sa.Connection, group: Group, emails: list[str]
    ) -> sa.ColumnElement[bool]:
        return sa.and_(
            self._in_group(group), self.table.c.email.in_(_email_set(conn.dialect.name, emails))
        )

    def _in_group(self, group: Group) -> sa.ColumnElement[bool]:
        t = self.table
        workflow_id, audience_id, message_kind = group
        return sa.and_(
            t.c.workflow_id == workflow_id,
            t.c.audience_id == audience_id,
            t.c.message_kind == message_kind,
        )


def _email_set(dialect: str, emails: list[str]) -> sa.Select[tuple[str]]:
    """``emails`` as a one-column query bound as one parameter, whatever their number: a
    statement per batch with no IN list, so no parameter limit, per-value binding or re-plan."""
    if dialect == "postgresql":
        values = sa.func.unnest(sa.literal(emails, postgresql.ARRAY(sa.String())))
        return sa.select(values.column_valued("email"))
    rows = sa.func.json_each(sa.literal(json.dumps(emails), sa.String())).table_valued("value")
    return sa.select(rows.c.value.label("email"))


def _plan_each_execution(dbapi_connection: Any, _record: object) -> None:
    # psycopg prepares a statement after 5 runs, and PostgreSQL may then keep a generic plan
    # that cannot see how many emails a batch holds: with a month's new workflow id it guesses
    # one row and probes the whole batch for each of the audience's rows (100 ms a batch).
    # Planned per run, it sees the batch and joins by hash or by index (a few ms).
    dbapi_connection.prepare_threshold = None


def _grouped(keys: list[MessageKey]) -> Iterator[tuple[Group, list[MessageKey]]]:
    groups: dict[Group, list[MessageKey]] = defaultdict(list)
    for key in keys:
        groups[(key.workflow_id, key.audience_id, key.message_kind)].append(key)
    yield from groups.items()


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every value here was written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
