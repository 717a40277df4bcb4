"""Two retros of the same ritual, as a test runs them and as ``record_histories`` records the
first for the replay test: an action opened in the first is reviewed in the second."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from opsrhythm.platform.actions.models import ActionItem
from opsrhythm.rituals.process_retro.models import ProcessRetroResult, RetroStatus
from tests.process_retro.retro_fakes import (
    EMMA,
    FARID,
    GRACE,
    RetroFakes,
    advance,
    running_retro,
    stage,
)


@dataclass
class FirstRetro:
    result: ProcessRetroResult
    action: ActionItem
    voting: RetroStatus
    history: WorkflowHistory


async def first_retro(
    env: WorkflowEnvironment, fakes: RetroFakes, workflow_id: str | None = None
) -> FirstRetro:
    """Nothing open yet: collection at once; Emma and Grace add items, Farid none; reminded,
    collection ends at its time; Ana closes grouping, voting and actions herself, after
    turning the top theme into an action for Farid."""
    async with running_retro(env.client, fakes, "2026-W49", workflow_id) as handle:
        await stage(handle, "collecting")
        fakes.items[handle.id] = [EMMA.email, GRACE.email, GRACE.email]
        await env.sleep(timedelta(days=4))
        await stage(handle, "grouping")
        await advance(handle, "grouping")
        voting = await stage(handle, "voting")
        fakes.votes[handle.id] = 4
        await advance(handle, "voting")
        await stage(handle, "actions")
        action = fakes.add_action(
            handle.id, FARID, "Post release notes in #general", date(2027, 1, 8)
        )
        await advance(handle, "actions")
        result = await handle.result()
        history = await handle.fetch_history()
    return FirstRetro(result, action, voting, history)


async def every_stage(env: WorkflowEnvironment, workflow_id: str | None = None) -> WorkflowHistory:
    """One retro through every stage: Farid's earlier action put to him (he carries it, Ana
    closes the review), three items, the reminder, grouping closed by Ana, voting to its end,
    Emma's action recorded, actions closed by Ana, the summary."""
    fakes = RetroFakes()
    earlier = fakes.add_action(
        "process-retro-2026-W43", FARID, "Announce releases a day ahead", date(2026, 11, 20)
    )
    async with running_retro(env.client, fakes, "2026-W49", workflow_id) as handle:
        await stage(handle, "action review", lambda s: s.open_actions_pending > 0)
        fakes.close_action(earlier.action_id, "carried")
        await advance(handle, "action review")
        await stage(handle, "collecting")
        fakes.items[handle.id] = [EMMA.email, FARID.email, GRACE.email]
        await env.sleep(timedelta(days=4, hours=1))
        await stage(handle, "grouping")
        await advance(handle, "grouping")
        await stage(handle, "voting")
        fakes.votes[handle.id] = 7
        await env.sleep(timedelta(days=1, hours=4))
        await stage(handle, "actions")
        fakes.add_action(handle.id, EMMA, "One release channel", date(2027, 1, 15))
        await advance(handle, "actions")
        await handle.result()
        return await handle.fetch_history()
