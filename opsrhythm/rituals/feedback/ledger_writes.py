"""Storing a batch of triaged items: a few statements per batch, whatever its size.

The insert of the items is also the existence check: ``ON CONFLICT DO NOTHING RETURNING id``
answers, inside the one transaction, which items this attempt stored. Submitters, history and
duplicate links are written for those alone, so two overlapping attempts at the same rows (a
retried chunk whose first attempt is still running) never record an item twice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from opsrhythm.rituals.feedback.models import FeedbackItem

if TYPE_CHECKING:
    from opsrhythm.rituals.feedback.ledger import FeedbackLedger


def store_items(ledger: FeedbackLedger, items: Sequence[FeedbackItem], actor: str) -> int:
    """Insert the items not stored yet, with their submitters, history and links; the count."""
    unique = list({i.id: i for i in items}.values())
    if not unique:
        return 0
    now = datetime.now(UTC)
    with ledger.engine.begin() as conn:
        stored = insert_new(conn, ledger.items, [item_row(i) for i in unique], "id")
        fresh = [i for i in unique if i.id in stored]
        if not fresh:
            return 0
        linked = [(i, i.duplicate_of) for i in fresh if i.duplicate_of is not None]
        submitters = [{"item_id": i.id, "email": i.submitter} for i in fresh]
        submitters += [{"item_id": original, "email": i.submitter} for i, original in linked]
        insert_ignore(conn, ledger.submitters, submitters)
        history = [_event(i.id, now, actor, "routed", _routed(i)) for i in fresh]
        for item, original in linked:
            history.append(_event(item.id, now, actor, "merged", f"duplicate of {original}"))
            history.append(
                _event(original, now, actor, "merged", f"{item.id} from {item.submitter}")
            )
        append(conn, ledger.history, history)
    return len(fresh)


def insert_new(
    conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], key: str
) -> set[Any]:
    """Insert the rows whose ``key`` is not taken; the keys this statement inserted."""
    if not rows:
        return set()
    if _copies(conn):
        return _copy_new(conn, table, rows, key)
    dialect_insert = _dialect_insert(conn)
    if dialect_insert is not None:
        statement = dialect_insert(table).on_conflict_do_nothing().returning(table.c[key])
        return set(conn.scalars(statement, rows))
    inserted: set[Any] = set()
    for row in rows:
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(table), row)
        except IntegrityError:
            continue  # written by a concurrent or earlier attempt
        inserted.add(row[key])
    return inserted


def insert_ignore(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert the rows, leaving out any whose primary key is already stored."""
    if not rows:
        return
    if _copies(conn):
        _copy_new(conn, table, rows, None)
        return
    dialect_insert = _dialect_insert(conn)
    if dialect_insert is not None:
        conn.execute(dialect_insert(table).on_conflict_do_nothing(), rows)
        return
    for row in rows:
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(table), row)
        except IntegrityError:
            pass  # written by a concurrent or earlier attempt


def append(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows that cannot conflict (history, whose key is a sequence)."""
    if not rows:
        return
    if not _copies(conn):
        conn.execute(sa.insert(table), rows)
        return
    with conn.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
        _copy(cursor, _name(conn, table), list(rows[0]), rows)


def _copies(conn: sa.Connection) -> bool:
    # COPY is PostgreSQL's bulk path: several times faster than a multi-row INSERT at 500 rows.
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


def _copy_new(
    conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], key: str | None
) -> set[Any]:
    """COPY into a transaction's scratch table, then INSERT … ON CONFLICT DO NOTHING from it."""
    columns = list(rows[0])
    target = _name(conn, table)
    staged = f"opsrhythm_staged_{uuid.uuid4().hex[:12]}"
    names = ", ".join(conn.dialect.identifier_preparer.quote(c) for c in columns)
    returning = f" RETURNING {conn.dialect.identifier_preparer.quote(key)}" if key else ""
    with conn.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(f"CREATE TEMP TABLE {staged} (LIKE {target}) ON COMMIT DROP")
        _copy(cursor, staged, columns, rows)
        cursor.execute(
            f"INSERT INTO {target} ({names}) SELECT {names} FROM {staged} "
            f"ON CONFLICT DO NOTHING{returning}"
        )
        return {row[0] for row in cursor.fetchall()} if key else set()


def _copy(cursor: Any, target: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
    with cursor.copy(f"COPY {target} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _name(conn: sa.Connection, table: sa.Table) -> str:
    return str(conn.dialect.identifier_preparer.format_table(table))


def item_row(item: FeedbackItem) -> dict[str, Any]:
    row = item.model_dump(exclude={"tags"})
    row["tags"] = json.dumps(item.tags)
    if item.duplicate_of is not None:
        row["status"] = "duplicate"
    return row


def _dialect_insert(conn: sa.Connection) -> Any:
    name = conn.dialect.name
    return {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(name)


def _routed(item: FeedbackItem) -> str:
    where = f"{item.area} / {item.owner_team} / {item.assignee} / {item.priority}"
    return where + (f" (rule {item.rule})" if item.rule else " (triage queue)")


def _event(item_id: str, at: datetime, actor: str, event: str, detail: str) -> dict[str, Any]:
    return {"item_id": item_id, "at": at, "actor": actor, "event": event, "detail": detail}
