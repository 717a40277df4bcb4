"""The store's writes every public method shares: an open row read, a state change, a new
row under the next free number of its origin, and the history row each writes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from opsrhythm.platform.actions.models import ActionState
from opsrhythm.platform.actions.tables import declare_tables

T = TypeVar("T")
_ID_ATTEMPTS = 5
_NOTE_LIMIT = 2000


class ActionRefused(ValueError):
    """A change the action's state or owner does not allow; the message says why."""


class ActionRows:
    def __init__(self, engine: sa.Engine) -> None:
        """The tables on ``engine``, whose schema Alembic keeps (``opsrhythm.platform.db``)."""
        self.engine = engine
        self.metadata = sa.MetaData()
        self.actions, self.history = declare_tables(self.metadata)

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


def numbered(write: Callable[[], T], origin: str) -> T:
    """Run ``write`` again when another writer took the number it gave a new action."""
    for _ in range(_ID_ATTEMPTS):
        try:
            return write()
        except IntegrityError:
            continue
    raise ActionRefused(f"could not number a new action of {origin}; try again")
