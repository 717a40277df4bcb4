"""The process retro's activities on its store: how many items, authors, groups and votes a retro
has, and grouping its items into themes. They return counts only: the items' text and authors
stay in the database, out of workflow history.

The store is opened on first use, inside an activity (``open_in_activity``: a database that is
down is retried by Temporal). Sync activities, run in the worker's thread pool: SQLAlchemy
blocks.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from temporalio import activity

from opsrhythm.platform.ritual_kind import WorkerContext
from opsrhythm.rituals.process_retro.models import (
    GROUP_RETRO_ITEMS,
    RETRO_COUNTS,
    GroupItemsInput,
    RetroCounts,
    RetroCountsInput,
)

if TYPE_CHECKING:
    from opsrhythm.rituals.process_retro.keys import AuthorKeys
    from opsrhythm.rituals.process_retro.store import RetroStore


def open_retro_store() -> RetroStore:
    from opsrhythm.platform.stores import open_in_activity
    from opsrhythm.rituals.process_retro.store import RetroStore

    return open_in_activity(RetroStore.from_url)


def author_keys() -> AuthorKeys | None:
    """The keys under the worker's secret; None without one (then nobody could add an item)."""
    from opsrhythm.platform.approvals.links import SECRET_ENV
    from opsrhythm.rituals.process_retro.keys import AuthorKeys

    secret = os.environ.get(SECRET_ENV, "").strip()
    return AuthorKeys(secret) if secret else None


class ProcessRetroStoreActivities:
    def __init__(
        self,
        context: WorkerContext | None = None,
        open_store: Callable[[], RetroStore] = open_retro_store,
        keys: Callable[[], AuthorKeys | None] = author_keys,
    ) -> None:
        self._open_store = open_store
        self._keys = keys

    @functools.cached_property
    def _store(self) -> RetroStore:
        return self._open_store()

    @activity.defn(name=RETRO_COUNTS.name)
    def retro_counts(self, input: RetroCountsInput) -> RetroCounts:
        """Counts; ``participants`` is how many of the given emails added at least one item."""
        keys = self._keys()
        participant_keys = (
            [keys.author_key(input.workflow_id, email) for email in input.participants]
            if keys
            else []
        )
        counts = self._store.counts(input.workflow_id, participant_keys)
        return counts if keys else counts.model_copy(update={"participants": 0})

    @activity.defn(name=GROUP_RETRO_ITEMS.name)
    def group_retro_items(self, input: GroupItemsInput) -> RetroCounts:
        """Every item not yet in a theme joins the most alike one or starts its own."""
        return self._store.group(input.workflow_id)
