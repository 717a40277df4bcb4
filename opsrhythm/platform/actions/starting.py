"""Starting an origin's follow-up: signal-with-start of ``ActionFollowUpWorkflow``, so a running
one looks at its actions again and a finished (or never started) one starts anew."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client

from opsrhythm.platform.actions.follow_up import (
    ACTIONS_CHANGED_SIGNAL,
    FOLLOW_UP_WORKFLOW,
    ActionFollowUpInput,
    follow_up_workflow_id,
)
from opsrhythm.platform.temporal_runtime import TASK_QUEUE

START_TIMEOUT = timedelta(seconds=10)


async def follow_up(client: Client, origin: str, *, task_queue: str = TASK_QUEUE) -> str:
    """Start or signal the origin's follow-up; returns its workflow id."""
    workflow_id = follow_up_workflow_id(origin)
    await client.start_workflow(
        FOLLOW_UP_WORKFLOW,
        ActionFollowUpInput(origin=origin),
        id=workflow_id,
        task_queue=task_queue,
        start_signal=ACTIONS_CHANGED_SIGNAL,
        rpc_timeout=START_TIMEOUT,
    )
    return workflow_id
