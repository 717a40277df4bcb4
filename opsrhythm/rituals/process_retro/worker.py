"""The process retro's workflow and activities, wired to the worker's clients. The actions'
activities (list open ones, apply updates) come with the platform's worker, for every kind."""

from __future__ import annotations

from typing import TYPE_CHECKING

from activities.process_retro import ProcessRetroActivities
from activities.process_retro_plan import ProcessRetroPlanActivities
from activities.process_retro_store import ProcessRetroStoreActivities
from opsrhythm.platform.ritual_kind import WorkerContext, WorkerParts
from workflows.process_retro import ProcessRetroWorkflow

if TYPE_CHECKING:
    from opsrhythm.platform.actions.store import ActionStore


def worker_parts(context: WorkerContext) -> WorkerParts:
    plan = ProcessRetroPlanActivities(context.config, _open_action_store)
    store = ProcessRetroStoreActivities(context)
    content = ProcessRetroActivities(context)
    return WorkerParts(
        workflows=[ProcessRetroWorkflow],
        activities=[
            plan.plan_process_retro,
            plan.retro_action_outcomes,
            store.retro_counts,
            store.group_retro_items,
            content.render_retro_emails,
            content.render_retro_summary,
        ],
    )


def _open_action_store() -> ActionStore:
    from opsrhythm.platform.actions.store import ActionStore
    from opsrhythm.platform.stores import open_in_activity

    return open_in_activity(ActionStore.from_url)
