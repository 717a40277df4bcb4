"""Talking to a process retro through Temporal: the ``retro_status`` query and the facilitator's
``advance`` Update, for the CLI and the pages alike. Items and votes never go this way (see
``store``): only the facilitator's identity enters history, with the advance.

They wait as the approval step's do (``approvals.client``), and raise that module's errors.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client

from opsrhythm.platform.approvals import client as approvals
from opsrhythm.platform.approvals.client import bounded_query, bounded_update, seconds
from opsrhythm.rituals.process_retro.models import (
    ADVANCE_UPDATE,
    RETRO_STATUS_QUERY,
    AdvanceRequest,
    RetroStatus,
)


async def retro_status(client: Client, workflow_id: str, run_id: str | None = None) -> RetroStatus:
    """The retro as its run reports it: stage, window, counts and the plan."""
    return await bounded_query(
        client, workflow_id, run_id, RETRO_STATUS_QUERY, RetroStatus, "no process retro"
    )


async def advance(
    client: Client, workflow_id: str, request: AdvanceRequest, wait: timedelta | None = None
) -> RetroStatus:
    """Close the current window now; the retro right after."""
    limit = wait or approvals.DECISION_WAIT
    late = (
        f"no worker answered within {seconds(limit)}; the stage may still close when a worker "
        f"returns (see: opsrhythm status {workflow_id})"
    )
    return await bounded_update(
        client, workflow_id, None, ADVANCE_UPDATE, request, RetroStatus, limit, late, "request"
    )
