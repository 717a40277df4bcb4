"""The actions store: every ritual's actions and the history of each, in SQLAlchemy.

The system of record for actions (``models.ActionItem``): commands and activities read and
write here, workflows hold only origins and ids. Every change appends a history row (who, when,
what), so a note replaced or a state changed is never lost. An action's id is its origin's
workflow id and a number (``<ritual>-<period>-3``). Works on SQLite and
PostgreSQL; the schema is Alembic's (revision 0002).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from opsrhythm.platform.actions.models import ActionItem, ActionKind, ActionState, ActionUpdate
from opsrhythm.platform.actions.rows import ActionRefused, ActionRows, numbered
from opsrhythm.platform.actions.tables import action_item, aware
from opsrhythm.platform.db.startup import open_engine
from opsrhythm.platform.runs import run_workflow_id

__all__ = ["ActionRefused", "ActionStore", "HistoryEntry"]
_CARRIED = ("title", "owner_email", "owner_name", "due", "kind")


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str
    event: str
    detail: str


class ActionStore(ActionRows):
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
        kind: ActionKind = "action",
    ) -> ActionItem:
        """Record a new open action (or decision) under the next free number of its origin."""
        fields = {
            "kind": kind,
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
                when = "decided" if kind == "decision" else "due"
                self._record(conn, action_id, actor, "added", f"{when} {due.isoformat()}: {title}")
            return action_id

        return self.get(numbered(insert, origin))

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
        kinds: Sequence[ActionKind] = (),
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
        if kinds:
            where.append(t.c.kind.in_(list(kinds)))
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
        """Every open action (not a decision: it stays the record of its period) of the
        ritual's ``from_period`` becomes a new open action of
        ``to_period`` (same title, owner, due date and note; ``carried_from`` set) and is itself
        marked 'carried'. One transaction: all are carried or none. (old, new) pairs."""
        origin = run_workflow_id(ritual_id, to_period)
        t = self.actions
        query = (
            sa.select(t)
            .where(t.c.ritual_id == ritual_id, t.c.period == from_period, t.c.state == "open")
            .where(t.c.kind == "action")
            .order_by(t.c.due, t.c.created_at, t.c.id)
        )

        moved = {"origin": origin, "ritual_id": ritual_id, "period": to_period}

        def carry_all() -> list[tuple[str, str]]:
            with self.engine.begin() as conn:
                rows = conn.execute(query).all()
                return [(row.id, self._carry_row(conn, row, moved, actor)) for row in rows]

        pairs = numbered(carry_all, origin)
        return [(self.get(old), self.get(new)) for old, new in pairs]

    def carry_one(self, action_id: str, due: date, *, actor: str) -> tuple[ActionItem, ActionItem]:
        """One open action, carried by its owner with a new due date: a new open action of the
        same origin (``carried_from`` set), the old one 'carried'. (old, new)."""

        def carry_it() -> str:
            with self.engine.begin() as conn:
                row = self._open_row(conn, action_id)
                if row.kind == "decision":
                    raise ActionRefused("a decision is a record: it is not carried")
                return self._carry_row(conn, row, {"due": due}, actor)

        origin = self.get(action_id).origin
        new_id = numbered(carry_it, origin)
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
