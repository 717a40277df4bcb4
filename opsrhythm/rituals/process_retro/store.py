"""The retro store: a retro's items, their groups and the dot votes, in SQLAlchemy.

Items and votes come here straight from the commands and pages, never through Temporal, whose
history would keep who sent them. Each row holds an author key (``keys``) instead of the author,
so an author can see and edit their own items and replace their votes, and counts can tell how
many took part, while nobody reading the table learns who wrote what. A signed item also keeps
its author's name, to show. The schema is Alembic's (revision 0005).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from opsrhythm.rituals.process_retro.grouping import assign_groups
from opsrhythm.rituals.process_retro.models import RetroCounts
from opsrhythm.rituals.process_retro.regrouping import Regrouping, retro_lock, serialise
from opsrhythm.rituals.process_retro.tables import (
    RankedGroup,
    RetroItem,
    RetroRefused,
    declare_tables,
    item_label,
    item_text,
    retro_item,
)
from opsrhythm.rituals.process_retro.votes import check_ballot

__all__ = ["RetroRefused", "RetroStore"]

_NUMBER_ATTEMPTS = 5


class RetroStore(Regrouping):
    def __init__(self, engine: sa.Engine) -> None:
        """The store on ``engine``, whose schema Alembic keeps (``opsrhythm.platform.db``)."""
        self.engine = engine
        self.metadata = sa.MetaData()
        self.items, self.votes = declare_tables(self.metadata)

    @classmethod
    def from_url(cls, url: str) -> RetroStore:
        from opsrhythm.platform.db.startup import open_engine

        return cls(open_engine(url))

    def close(self) -> None:
        self.engine.dispose()

    def add_item(
        self,
        workflow_id: str,
        author_key: str,
        prompt_id: str,
        text: str,
        signed_name: str | None = None,
    ) -> RetroItem:
        """Record an item under the retro's next number."""
        row: dict[str, Any] = {"workflow_id": workflow_id, "prompt_id": prompt_id}
        row |= {"text": item_text(text)}
        row |= {"author_key": author_key, "signed_name": signed_name, "group_no": None}
        t = self.items
        for _ in range(_NUMBER_ATTEMPTS):
            try:
                with self.engine.begin() as conn:
                    last = sa.select(sa.func.max(t.c.item_no)).where(t.c.workflow_id == workflow_id)
                    number = int(conn.execute(last).scalar_one() or 0) + 1
                    conn.execute(sa.insert(t), row | {"item_no": number})
                return RetroItem(number, prompt_id, row["text"], signed_name, None)
            except IntegrityError:
                continue  # another author took that number meanwhile
        raise RetroRefused("could not number the item; try again")

    def own_items(self, workflow_id: str, author_key: str) -> list[RetroItem]:
        t = self.items
        query = self._of(workflow_id).where(t.c.author_key == author_key)
        with self.engine.connect() as conn:
            return [retro_item(row) for row in conn.execute(query)]

    def all_items(self, workflow_id: str) -> list[RetroItem]:
        with self.engine.connect() as conn:
            return [retro_item(row) for row in conn.execute(self._of(workflow_id))]

    def edit_item(self, workflow_id: str, author_key: str, item_no: int, text: str) -> RetroItem:
        """Replace the text of one of the author's own items; anyone else's is refused."""
        t = self.items
        with self.engine.begin() as conn:
            changed = conn.execute(
                sa.update(t)
                .where(*self._own(workflow_id, author_key, item_no))
                .values(text=item_text(text))
            )
        if changed.rowcount != 1:
            raise RetroRefused(f"{item_label(item_no)} is not one of your items")
        return next(i for i in self.own_items(workflow_id, author_key) if i.item_no == item_no)

    def delete_item(self, workflow_id: str, author_key: str, item_no: int) -> None:
        with self.engine.begin() as conn:
            gone = conn.execute(
                sa.delete(self.items).where(*self._own(workflow_id, author_key, item_no))
            )
        if gone.rowcount != 1:
            raise RetroRefused(f"{item_label(item_no)} is not one of your items")

    def counts(self, workflow_id: str, participant_keys: Collection[str] = ()) -> RetroCounts:
        """Counts only; ``participants`` are the given keys with at least one item (all authors'
        keys when none are given)."""
        t, v = self.items, self.votes
        with self.engine.connect() as conn:
            authors = set(
                conn.execute(
                    sa.select(t.c.author_key).where(t.c.workflow_id == workflow_id).distinct()
                ).scalars()
            )
            items, groups = conn.execute(
                sa.select(sa.func.count(), sa.func.count(sa.distinct(t.c.group_no))).where(
                    t.c.workflow_id == workflow_id
                )
            ).one()
            votes, voters = conn.execute(
                sa.select(
                    sa.func.coalesce(sa.func.sum(v.c.dots), 0),
                    sa.func.count(sa.distinct(v.c.voter_key)),
                ).where(v.c.workflow_id == workflow_id)
            ).one()
        took_part = authors & set(participant_keys) if participant_keys else authors
        return RetroCounts(
            items=items, participants=len(took_part), groups=groups, votes=votes, voters=voters
        )

    def group(self, workflow_id: str) -> RetroCounts:
        """Place every ungrouped item in a theme (``grouping``); grouped ones stay put."""
        placed = assign_groups(self.all_items(workflow_id))
        t = self.items
        with self.engine.begin() as conn:
            for item_no, group_no in placed.items():
                conn.execute(
                    sa.update(t)
                    .where(t.c.workflow_id == workflow_id, t.c.item_no == item_no)
                    .values(group_no=group_no)
                )
        return self.counts(workflow_id)

    def replace_votes(
        self,
        workflow_id: str,
        voter_key: str,
        dots: Mapping[int, int],
        *,
        per_person: int,
        per_group: int,
    ) -> None:
        """The voter's ballot, replacing any earlier one. The limits and the groups are checked
        after writing, in the same transaction (``VoteRefused`` undoes it), with the voter's
        ballots and any regrouping held apart (``regrouping``)."""
        v, t = self.votes, self.items
        rows = [
            {"workflow_id": workflow_id, "voter_key": voter_key, "group_no": g, "dots": n}
            for g, n in sorted(dots.items())
        ]
        mine = (v.c.workflow_id == workflow_id, v.c.voter_key == voter_key)
        with self.engine.begin() as conn:
            retro_lock(conn, workflow_id, shared=True)
            serialise(conn, "retro-ballot", workflow_id, voter_key)
            conn.execute(sa.delete(v).where(*mine))
            if rows:
                conn.execute(sa.insert(v), rows)
            stored = {r.group_no: r.dots for r in conn.execute(sa.select(v).where(*mine))}
            known = conn.execute(
                sa.select(t.c.group_no).where(t.c.workflow_id == workflow_id).distinct()
            ).scalars()
            check_ballot(stored, set(known) - {None}, per_person, per_group)

    def own_votes(self, workflow_id: str, voter_key: str) -> dict[int, int]:
        v = self.votes
        query = sa.select(v.c.group_no, v.c.dots).where(
            v.c.workflow_id == workflow_id, v.c.voter_key == voter_key
        )
        with self.engine.connect() as conn:
            return {row.group_no: row.dots for row in conn.execute(query)}

    def ranked_groups(self, workflow_id: str) -> list[RankedGroup]:
        """The themes, most dots first (then in the order they were formed), items stored
        after the grouping included where ``group`` would place them."""
        groups = self.groups(workflow_id, place_late_items=True)
        return sorted(groups, key=lambda g: (-g.votes, g.group_no))

    def groups(self, workflow_id: str, *, place_late_items: bool = False) -> list[RankedGroup]:
        """The themes in the order they were formed; ungrouped items are in none, unless
        ``place_late_items`` (in memory: nothing is written)."""
        v = self.votes
        items = self.all_items(workflow_id)
        placed = assign_groups(items) if place_late_items else {}
        members: dict[int, list[RetroItem]] = defaultdict(list)
        for item in items:
            group_no = placed.get(item.item_no, item.group_no)
            if group_no is not None:
                members[group_no].append(replace(item, group_no=group_no))
        query = (
            sa.select(v.c.group_no, sa.func.sum(v.c.dots).label("dots"))
            .where(v.c.workflow_id == workflow_id)
            .group_by(v.c.group_no)
        )
        with self.engine.connect() as conn:
            dots = {row.group_no: int(row.dots) for row in conn.execute(query)}
        return [
            RankedGroup(number, dots.get(number, 0), tuple(members[number]))
            for number in sorted(members)
        ]

    def _of(self, workflow_id: str) -> sa.Select[Any]:
        t = self.items
        return sa.select(t).where(t.c.workflow_id == workflow_id).order_by(t.c.item_no)

    def _own(
        self, workflow_id: str, author_key: str, item_no: int
    ) -> tuple[sa.ColumnElement[bool], ...]:
        t = self.items
        return (
            t.c.workflow_id == workflow_id,
            t.c.item_no == item_no,
            t.c.author_key == author_key,
        )
