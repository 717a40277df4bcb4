"""Talking to a ritual's approval through Temporal: the ``decide`` and ``redraft`` Updates and
the ``approval`` query.

Shared by the CLI and the web app, so both turn Temporal's errors into the same sentences:
a refusal from the workflow's validator, a run that has already finished, an unknown id, a
run no worker answers for. Every wait is bounded: with no worker, a decision fails within
``DECISION_WAIT`` and carries that as its ``not_after``, so a worker that comes back later
refuses it instead of applying it behind the caller's back. ``bounded_update`` and
``bounded_query`` do the same for any kind's own Updates and queries.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from opsrhythm.platform.approvals.callers import with_callers
from opsrhythm.platform.approvals.models import (
    REDRAFT_UPDATE,
    ApprovalDecision,
    ApprovalStatus,
    RedraftRequest,
)

QUERY_TIMEOUT = timedelta(seconds=5)
DECISION_WAIT = timedelta(seconds=30)
"""How long a decision or redraft waits for a worker, in all (the RPC timeout is per poll)."""
DECIDE_UPDATE = "decide"
APPROVAL_QUERY = "approval"
Answer = TypeVar("Answer", bound=BaseModel)


class DecisionRefused(Exception):
    """The workflow (or the server, for a finished run) would not take this decision."""


class ApprovalNotFound(Exception):
    """No such workflow, or one without an approval step."""


class ApprovalUnavailable(Exception):
    """Temporal could not be reached, or no worker answered in time."""


async def _closed_status(client: Client, workflow_id: str, run_id: str | None) -> str | None:
    """'completed', 'failed', … for a finished run; None if it is running or unknown."""
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    try:
        description = await handle.describe(rpc_timeout=QUERY_TIMEOUT)
    except RPCError:
        return None
    status = description.status
    if status is None or status == WorkflowExecutionStatus.RUNNING:
        return None
    return status.name.lower().replace("_", " ")


async def _explain(
    client: Client, workflow_id: str, run_id: str | None, error: RPCError, what: str = "decision"
) -> Exception:
    closed = await _closed_status(client, workflow_id, run_id)
    if closed is not None:
        return DecisionRefused(f"{workflow_id} has already {closed}: no {what} can change it")
    if error.status == RPCStatusCode.NOT_FOUND:
        return ApprovalNotFound(f"no workflow {workflow_id!r}")
    return ApprovalUnavailable(f"Temporal did not answer for {workflow_id}: {error.message}")


def seconds(wait: timedelta) -> str:
    return f"{wait.total_seconds():g} s"


async def send_decision(
    client: Client,
    workflow_id: str,
    decision: ApprovalDecision,
    run_id: str | None = None,
    wait: timedelta | None = None,
) -> ApprovalStatus:
    """Send the Update and return the approval as it stands after it.

    ``run_id`` pins the run: a link issued for one run never decides another of the same id.
    ``wait`` (default ``DECISION_WAIT``) bounds the whole call.
    """
    limit = wait or DECISION_WAIT
    if decision.not_after is None:
        decision = decision.model_copy(update={"not_after": datetime.now(UTC) + limit})
    late = f"no worker answered within {seconds(limit)}; your decision was not recorded"
    return await _update(
        client, workflow_id, run_id, DECIDE_UPDATE, decision, limit, f"{late} — try again later"
    )


async def request_redraft(
    client: Client,
    workflow_id: str,
    request: RedraftRequest,
    run_id: str | None = None,
    wait: timedelta | None = None,
) -> ApprovalStatus:
    """The owner's ``redraft`` Update: the changes asked for are made, draft the next round."""
    limit = wait or DECISION_WAIT
    late = (
        f"no worker answered within {seconds(limit)}; the redraft may still start when a "
        f"worker returns (see: opsrhythm status {workflow_id})"
    )
    return await _update(client, workflow_id, run_id, REDRAFT_UPDATE, request, limit, late)


async def _update(
    client: Client,
    workflow_id: str,
    run_id: str | None,
    update: str,
    argument: ApprovalDecision | RedraftRequest,
    limit: timedelta,
    late: str,
) -> ApprovalStatus:
    after = await bounded_update(
        client, workflow_id, run_id, update, argument, ApprovalStatus, limit, late
    )
    return await with_callers(client, workflow_id, run_id, after)


async def bounded_update(
    client: Client,
    workflow_id: str,
    run_id: str | None,
    update: str,
    argument: BaseModel,
    result_type: type[Answer],
    limit: timedelta,
    late: str,
    what: str = "decision",
) -> Answer:
    """Any ritual's Update, waiting at most ``limit`` in all: DecisionRefused for the
    validator's (or a finished run's) refusal, ApprovalNotFound, or ApprovalUnavailable with
    ``late`` when no worker answered. The argument should carry ``limit`` as its not_after."""
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    try:
        async with asyncio.timeout(limit.total_seconds()):
            after: Answer = await handle.execute_update(
                update, argument, result_type=result_type, rpc_timeout=limit
            )
    except WorkflowUpdateFailedError as failure:
        cause = failure.cause
        message = cause.message if isinstance(cause, ApplicationError) else str(cause)
        raise DecisionRefused(message) from None
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            # The SDK reports our caller's own cancellation in the same error: pass it on.
            raise asyncio.CancelledError from None
        raise ApprovalUnavailable(late) from None
    except RPCError as error:
        raise await _explain(client, workflow_id, run_id, error, what) from None
    return after


async def approval_status(
    client: Client, workflow_id: str, run_id: str | None = None
) -> ApprovalStatus:
    """The run's approval, each audit entry with the Temporal identity that sent it."""
    status = await bounded_query(
        client, workflow_id, run_id, APPROVAL_QUERY, ApprovalStatus, "no approval step"
    )
    return await with_callers(client, workflow_id, run_id, status)


async def bounded_query(
    client: Client,
    workflow_id: str,
    run_id: str | None,
    query: str,
    result_type: type[Answer],
    lacking: str,
) -> Answer:
    """Any ritual's query, within ``QUERY_TIMEOUT``: ApprovalNotFound ("WF has ``lacking``" for
    a run that does not answer it), or ApprovalUnavailable when no worker answered."""
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    try:
        answer: Answer = await handle.query(
            query, result_type=result_type, rpc_timeout=QUERY_TIMEOUT
        )
    except WorkflowQueryFailedError as failure:
        raise ApprovalNotFound(f"{workflow_id} has {lacking} ({failure})") from None
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise ApprovalNotFound(f"no workflow {workflow_id!r}") from None
        if error.status in (RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED):
            raise ApprovalUnavailable(
                f"Temporal did not answer for {workflow_id}: no worker answered within "
                f"{seconds(QUERY_TIMEOUT)} (is one running?)"
            ) from None
        raise ApprovalUnavailable(
            f"Temporal did not answer for {workflow_id}: {error.message}"
        ) from None
    return answer
