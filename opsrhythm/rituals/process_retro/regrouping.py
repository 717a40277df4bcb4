"""The facilitator's merge and split of a retro's themes, and the locks that keep them apart
from ballots being cast.

A ballot takes the retro's lock shared and its voter's lock exclusive; a regrouping takes the
retro's lock exclusive. So on PostgreSQL two ballots of one voter are written one after the
other (each checked against the limits after writing), and a merge never runs beside a ballot
that could leave dots on the group it removes. SQLite lets one writer at a time anyway.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from opsrhythm.rituals.process_retro.tables import (
    RankedGroup,
    RetroItem,
    RetroRefused,
    group_label,
    item_label,
)


def serialise(conn: sa.Connection, *names: str, shared: bool = False) -> None:
    """Hold a PostgreSQL advisory lock named by ``names`` until the transaction ends."""
    if conn.dialect.name != "postgresql":
        return
    digest = hashlib.sha256("\0".join(names).encode()).digest()
    lock = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    conn.execute(
        sa.text(f"SELECT {lock}(:key)"), {"key": int.from_bytes(digest[:8], "big", signed=True)}
    )


def retro_lock(conn: sa.Connection, workflow_id: str, *, shared: bool) -> None:
    serialise(conn, "retro-groups", workflow_id, shared=shared)


class Regrouping:
    """``RetroStore``'s merge and split (a mixin: it needs the store's tables and reads)."""

    engine: sa.Engine
    items: sa.Table
    votes: sa.Table
    all_items: Callable[[str], list[RetroItem]]
    groups: Callable[..., list[RankedGroup]]
    _of: Callable[[str], sa.Select[Any]]

    def merge(self, workflow_id: str, group_nos: list[int]) -> RankedGroup:
        """Every item of the later groups joins the first one."""
        into, *others = group_nos
        self._regroup(workflow_id, {into, *others}, lambda row: into)
        return self._group(workflow_id, into)

    def split(self, workflow_id: str, group_no: int, item_nos: list[int]) -> RankedGroup:
        """The given items of ``group_no`` leave it for a new group of their own."""
        fresh = self._next_group(workflow_id)
        wanted = set(item_nos)
        in_group = {i.item_no for i in self.all_items(workflow_id) if i.group_no == group_no}
        strangers = sorted(wanted - in_group)
        if strangers:
            names = ", ".join(item_label(n) for n in strangers)
            raise RetroRefused(f"{names} not in {group_label(group_no)}")
        if wanted == in_group:
            raise RetroRefused(f"that is all of {group_label(group_no)}: leave at least one item")
        self._regroup(
            workflow_id, {group_no}, lambda row: fresh if row.item_no in wanted else group_no
        )
        return self._group(workflow_id, fresh)

    def _group(self, workflow_id: str, group_no: int) -> RankedGroup:
        return next(g for g in self.groups(workflow_id) if g.group_no == group_no)

    def _regroup(self, workflow_id: str, touched: set[int], new_group: Any) -> None:
        t, v = self.items, self.votes
        with self.engine.begin() as conn:
            retro_lock(conn, workflow_id, shared=False)
            rows = conn.execute(
                self._of(workflow_id).where(t.c.group_no.in_(sorted(touched)))
            ).all()
            missing = sorted(touched - {row.group_no for row in rows})
            if missing:
                raise RetroRefused(f"no group {', '.join(group_label(n) for n in missing)}")
            for row in rows:
                conn.execute(
                    sa.update(t)
                    .where(t.c.workflow_id == workflow_id, t.c.item_no == row.item_no)
                    .values(group_no=new_group(row))
                )
            # Counted after writing: on SQLite the writes took the file's lock, so no ballot
            # can land between this count and the commit.
            voted = conn.execute(
                sa.select(sa.func.count()).where(v.c.workflow_id == workflow_id)
            ).scalar_one()
            if voted:
                raise RetroRefused("votes have been cast: regrouping now would move them")

    def _next_group(self, workflow_id: str) -> int:
        t = self.items
        query = sa.select(sa.func.max(t.c.group_no)).where(t.c.workflow_id == workflow_id)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one() or 0) + 1
