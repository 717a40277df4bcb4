"""The process retro's own activities beside the config: its plan (the ritual's config,
snapshotted for one run) and the reviewed actions' outcomes, read from the actions store."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from temporalio import activity
from temporalio.exceptions import ApplicationError

from opsrhythm.platform.actions.models import OpenActions
from opsrhythm.platform.config import PlatformConfig
from opsrhythm.rituals.process_retro.config import ProcessRetroRitual
from opsrhythm.rituals.process_retro.models import (
    PLAN_RETRO,
    RETRO_ACTION_OUTCOMES,
    ActionOutcomesInput,
    PlanRetroInput,
    RetroPlan,
)
from opsrhythm.rituals.process_retro.plan import retro_plan

if TYPE_CHECKING:
    from opsrhythm.platform.actions.store import ActionStore


class ProcessRetroPlanActivities:
    def __init__(self, config: PlatformConfig, open_store: Callable[[], ActionStore]) -> None:
        self._config = config
        self._open_store = open_store

    @functools.cached_property
    def _store(self) -> ActionStore:
        return self._open_store()

    @activity.defn(name=PLAN_RETRO.name)
    def plan_process_retro(self, input: PlanRetroInput) -> RetroPlan:
        """The retro's people, prompts and windows, with every moment in UTC."""
        rituals = [r for r in self._config.rituals if isinstance(r, ProcessRetroRitual)]
        ritual = next((r for r in rituals if r.id == input.ritual_id), None)
        if ritual is None:
            known = ", ".join(r.id for r in rituals) or "none"
            raise ApplicationError(
                f"unknown process retro {input.ritual_id!r} (known: {known})",
                type="UnknownRitual",
                non_retryable=True,
            )
        return retro_plan(self._config, ritual, input.period, input.opened_at)

    @activity.defn(name=RETRO_ACTION_OUTCOMES.name)
    def retro_action_outcomes(self, input: ActionOutcomesInput) -> OpenActions:
        """Each reviewed action as it stands now; one gone from the store is left out."""
        found = []
        for action_id in input.action_ids:
            try:
                found.append(self._store.get(action_id))
            except KeyError:
                activity.logger.warning("Reviewed action %s is not in the store", action_id)
        return OpenActions(actions=found)
