"""The actions store: every ritual's actions and the history of each, in SQLAlchemy.

The system of record for actions (``models.ActionItem``): commands and activities read and
write here, workflows hold only origins and ids. Every change appends a history row (who, when,
what), so a note replaced or a state changed is never lost. An action's id is its origin's
workflow id and a number (``<ritual>-<period>-3``). Works on SQLite and
PostgreSQL; the schema is Alembic's (revision 0002).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from opsrhythm.platform.actions.models import ActionItem, ActionState, ActionUpdate
from opsrhythm.platform.actions.tables import action_item, aware, declare_tables
from opsrhythm.platform.db.startup import open_engine
from opsrhythm.platform.runs import run_workflow_id

T = TypeVar("T")
_ID_ATTEMPTS = 5
_CARRIED = ("title", "owner_email", "owner_name", "due")
_NOTE_LIMIT = 2000


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str
    event: str
    detail: str


class ActionRefused(ValueError):
    """A change the action's state or owner does not allow; the message says why."""


class ActionStore:
    def __init__(self, engine: sa.Engine) -> None:
        """The store on ``engine``, whose schema Alembic keeps (``opsrhythm.platform.db``)."""
        self.engine = engine
        self.metadata = sa.MetaData()
        self.actions, self.history = declare_tables(self.metadata)

    @classmethod
    def from_url(cls, url: str) -> ActionStore:
        """The store on ``url``, its schema checked (or made) by ``startup.open_engine``."""
        return cls(open_engine(url))

    def close(self) -> None:
        self.engine.dispose()

    def add(
        self,
        *,
        origin: str,
        ritual_id: str,
        period: str,
        title: str,
        owner_email: str,
        owner_name: str,
        due: date,
        actor: str,
    ) -> ActionItem:
        """Record a new open action under the next free number of its origin."""
        fields = {
            "origin": origin,
            "ritual_id": ritual_id,
            "period": period,
            "title": title,
            "owner_email": owner_email.strip().lower(),
            "owner_name": owner_name,
            "due": due,
        }

        def insert() -> str:
            with self.engine.begin() as conn:
                action_id = self._insert(conn, fields, carried_from=None)
                self._record(conn, action_id, actor, "added", f"due {due.isoformat()}: {title}")
            return action_id

        return self.get(_numbered(insert, origin))

    def get(self, action_id: str) -> ActionItem:
        """The action; ``KeyError`` if there is none by that id."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(self.actions).where(self.actions.c.id == action_id)
            ).first()
        if row is None:
            raise KeyError(action_id)
        return action_item(row)

    def find(
        self,
        *,
        owner_emails: Sequence[str] = (),
        ritual_id: str | None = None,
        period: str | None = None,
        origin: str | None = None,
        states: Sequence[ActionState] = (),
        due_before: date | None = None,
    ) -> list[ActionItem]:
        """Actions matching every filter given, by due date then id."""
        t = self.actions
        where: list[sa.ColumnElement[bool]] = []
        if owner_emails:
            where.append(t.c.owner_email.in_([e.strip().lower() for e in owner_emails]))
        if ritual_id is not None:
            where.append(t.c.ritual_id == ritual_id)
        if period is not None:
            where.append(t.c.period == period)
        if origin is not None:
            where.append(t.c.origin == origin)
        if states:
            where.append(t.c.state.in_(list(states)))
        if due_before is not None:
            where.append(t.c.due < due_before)
        query = sa.select(t).where(*where).order_by(t.c.due, t.c.created_at, t.c.id)
        with self.engine.connect() as conn:
            return [action_item(row) for row in conn.execute(query)]

    def close_action(
        self, action_id: str, state: ActionState, *, actor: str, note: str = ""
    ) -> ActionItem:
        """Mark an open action done or dropped, keeping ``note``; any other is refused."""
        with self.engine.begin() as conn:
            self._change(conn, self._open_row(conn, action_id), state, note, actor)
        return self.get(action_id)

    def apply_updates(
        self, owner_email: str, updates: Iterable[ActionUpdate]
    ) -> tuple[list[str], list[str]]:
        """An owner's updates: (ids changed, '<id>: why' for the rest). Each update is its own
        transaction, so one refused never holds back the others."""
        owner = owner_email.strip().lower()
        applied: list[str] = []
        refused: list[str] = []
        for update in updates:
            try:
                with self.engine.begin() as conn:
                    row = self._open_row(conn, update.action_id)
                    if row.owner_email != owner:
                        raise ActionRefused("owned by someone else")
                    self._change(conn, row, update.state, update.note, owner)
            except (ActionRefused, KeyError) as error:
                why = "no such action" if isinstance(error, KeyError) else str(error)
                refused.append(f"{update.action_id}: {why}")
            else:
                applied.append(update.action_id)
        return applied, refused

    def carry(
        self, ritual_id: str, from_period: str, to_period: str, *, actor: str
    ) -> list[tuple[ActionItem, ActionItem]]:
        """Every open action of the ritual's ``from_period`` becomes a new open action of
        ``to_period`` (same title, owner, due date and note; ``carried_from`` set) and is itself
        marked 'carried'. One transaction: all are carried or none. (old, new) pairs."""
        origin = run_workflow_id(ritual_id, to_period)
        t = self.actions
        query = (
            sa.select(t)
            .where(t.c.ritual_id == ritual_id, t.c.period == from_period, t.c.state == "open")
            .order_by(t.c.due, t.c.created_at, t.c.id)
        )

        moved = {"origin": origin, "ritual_id": ritual_id, "period": to_period}

        def carry_all() -> list[tuple[str, str]]:
            with self.engine.begin() as conn:
                rows = conn.execute(query).all()
                return [(row.id, self._carry_row(conn, row, moved, actor)) for row in rows]

        pairs = _numbered(carry_all, origin)
        return [(self.get(old), self.get(new)) for old, new in pairs]

    def carry_one(self, action_id: str, due: date, *, actor: str) -> tuple[ActionItem, ActionItem]:
        """One open action, carried by its owner with a new due date: a new open action of the
        same origin (``carried_from`` set), the old one 'carried'. (old, new)."""

        def carry_it() -> str:
            with self.engine.begin() as conn:
                row = self._open_row(conn, action_id)
                return self._carry_row(conn, row, {"due": due}, actor)

        origin = self.get(action_id).origin
        new_id = _numbered(carry_it, origin)
        return self.get(action_id), self.get(new_id)

    def _carry_row(
        self, conn: sa.Connection, row: sa.Row[Any], changes: dict[str, Any], actor: str
    ) -> str:
        fields = {c: getattr(row, c) for c in (*_CARRIED, "origin", "ritual_id", "period")}
        new_id = self._insert(conn, fields | changes, carried_from=row.id, note=row.note)
        self._record(conn, new_id, actor, "added", f"carried from {row.id}")
        self._change(conn, row, "carried", f"carried to {new_id}", actor, keep_note=True)
        return new_id

    def events(self, action_id: str) -> list[HistoryEntry]:
        t = self.history
        query = sa.select(t).where(t.c.action_id == action_id).order_by(t.c.seq)
        with self.engine.connect() as conn:
            return [
                HistoryEntry(aware(r.at), r.actor, r.event, r.detail) for r in conn.execute(query)
            ]

    def _open_row(self, conn: sa.Connection, action_id: str) -> sa.Row[Any]:
        t = self.actions
        row = conn.execute(sa.select(t).where(t.c.id == action_id)).first()
        if row is None:
            raise KeyError(action_id)
        if row.state != "open":
            raise ActionRefused(f"already {row.state}")
        return row

    def _change(
        self,
        conn: sa.Connection,
        row: sa.Row[Any],
        state: ActionState,
        note: str,
        actor: str,
        *,
        keep_note: bool = False,
    ) -> None:
        note = note.strip()[:_NOTE_LIMIT]
        values: dict[str, Any] = {"state": state, "updated_at": datetime.now(UTC)}
        if note and not keep_note:
            values["note"] = note
        t = self.actions
        # Only a row still open changes: two updates racing cannot both close it.
        changed = conn.execute(
            sa.update(t).where(t.c.id == row.id, t.c.state == "open").values(values)
        )
        if changed.rowcount != 1:
            raise ActionRefused("changed by someone else meanwhile")
        event = "noted" if state == "open" else state
        self._record(conn, row.id, actor, event, note)

    def _insert(
        self,
        conn: sa.Connection,
        fields: dict[str, Any],
        *,
        carried_from: str | None,
        note: str = "",
    ) -> str:
        t = self.actions
        now = datetime.now(UTC)
        row = fields | {"state": "open", "carried_from": carried_from, "note": note}
        row |= {"created_at": now, "updated_at": now}
        count = sa.select(sa.func.count()).where(t.c.origin == fields["origin"])
        action_id = f"{fields['origin']}-{int(conn.execute(count).scalar_one()) + 1}"
        conn.execute(sa.insert(t), row | {"id": action_id})
        return action_id

    def _record(
        self, conn: sa.Connection, action_id: str, actor: str, event: str, detail: str
    ) -> None:
        conn.execute(
            sa.insert(self.history),
            {"action_id": action_id, "at": datetime.now(UTC), "actor": actor or "unknown"}
            | {"event": event, "detail": detail},
        )


def _numbered(write: Callable[[], T], origin: str) -> T:
    """Run ``write`` again when another writer took the number it gave a new action."""
    for _ in range(_ID_ATTEMPTS):
        try:
            return write()
        except IntegrityError:
            continue
    raise ActionRefused(f"could not number a new action of {origin}; try again")
