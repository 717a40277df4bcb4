"""Talking to a strategy review through Temporal: the ``submit_status`` and ``close_collection``
Updates and the ``review_status`` query, for the CLI and the web form alike.

They wait as the approval step's do (``approvals.client``): at most ``DECISION_WAIT`` in all,
with that as the submission's ``not_after``, so a worker that comes back later refuses it
instead of recording it behind the owner's back; the errors are that module's, in its words.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio.client import Client
from temporalio.service import RPCError

from opsrhythm.platform.approvals import client as approvals
from opsrhythm.platform.approvals.client import bounded_query, bounded_update, seconds
from opsrhythm.rituals.strategy_review.models import (
    CLOSE_COLLECTION_UPDATE,
    REVIEW_STATUS_QUERY,
    SUBMIT_UPDATE,
    CloseCollection,
    ReviewStatus,
    StatusSubmission,
    SubmittedStatus,
)


async def submit_status(
    client: Client,
    workflow_id: str,
    submission: StatusSubmission,
    run_id: str | None = None,
    wait: timedelta | None = None,
) -> SubmittedStatus:
    """Send an owner's update; the version stored. ``run_id`` pins the run (a link's)."""
    limit = wait or approvals.DECISION_WAIT
    if submission.not_after is None:
        submission = submission.model_copy(update={"not_after": datetime.now(UTC) + limit})
    late = (
        f"no worker answered within {seconds(limit)}; your update was not recorded "
        "— try again later"
    )
    return await bounded_update(
        client,
        workflow_id,
        run_id,
        SUBMIT_UPDATE,
        submission,
        SubmittedStatus,
        limit,
        late,
        what="update",
    )


async def close_collection(
    client: Client,
    workflow_id: str,
    request: CloseCollection,
    wait: timedelta | None = None,
) -> ReviewStatus:
    """The ritual owner's ``close_collection``: build the pack now; the review after it."""
    limit = wait or approvals.DECISION_WAIT
    late = (
        f"no worker answered within {seconds(limit)}; collection may still close when a "
        f"worker returns (see: opsrhythm review status {workflow_id})"
    )
    return await bounded_update(
        client,
        workflow_id,
        None,
        CLOSE_COLLECTION_UPDATE,
        request,
        ReviewStatus,
        limit,
        late,
        what="request",
    )


async def review_status(
    client: Client, workflow_id: str, run_id: str | None = None
) -> ReviewStatus:
    """The review as its run reports it (stage, who submitted, who is late, what is pending)."""
    return await bounded_query(
        client, workflow_id, run_id, REVIEW_STATUS_QUERY, ReviewStatus, "no strategy review"
    )


async def current_run_id(client: Client, workflow_id: str) -> str | None:
    """The run now current for the id, from the server (no worker needed); None if unknown."""
    try:
        described = await client.get_workflow_handle(workflow_id).describe(
            rpc_timeout=approvals.QUERY_TIMEOUT
        )
    except RPCError:
        return None
    return described.run_id
