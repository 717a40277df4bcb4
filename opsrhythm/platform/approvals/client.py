"""Talking to a ritual's approval through Temporal: the ``decide`` Update and ``approval`` query.

Shared by the CLI and the web app, so both turn Temporal's errors into the same sentences:
a refusal from the workflow's validator, a run that has already finished, an unknown id.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from opsrhythm.platform.approvals.models import (
    REDRAFT_UPDATE,
    ApprovalDecision,
    ApprovalStatus,
    RedraftRequest,
)

QUERY_TIMEOUT = timedelta(seconds=5)
DECIDE_UPDATE = "decide"
APPROVAL_QUERY = "approval"


class DecisionRefused(Exception):
    """The workflow (or the server, for a finished run) would not take this decision."""


class ApprovalNotFound(Exception):
    """No such workflow, or one without an approval step."""


class ApprovalUnavailable(Exception):
    """Temporal could not be reached or did not answer in time."""


async def _closed_status(client: Client, workflow_id: str, run_id: str | None) -> str | None:
    """'completed', 'failed', … for a finished run; None if it is running or unknown."""
    try:
        description = await client.get_workflow_handle(workflow_id, run_id=run_id).describe()
    except RPCError:
        return None
    status = description.status
    if status is None or status == WorkflowExecutionStatus.RUNNING:
        return None
    return status.name.lower().replace("_", " ")


async def _explain(
    client: Client, workflow_id: str, run_id: str | None, error: RPCError
) -> Exception:
    closed = await _closed_status(client, workflow_id, run_id)
    if closed is not None:
        return DecisionRefused(f"{workflow_id} has already {closed}: no decision can change it")
    if error.status == RPCStatusCode.NOT_FOUND:
        return ApprovalNotFound(f"no workflow {workflow_id!r}")
    return ApprovalUnavailable(f"Temporal did not answer for {workflow_id}: {error.message}")


async def send_decision(
    client: Client, workflow_id: str, decision: ApprovalDecision, run_id: str | None = None
) -> ApprovalStatus:
    """Send the Update and return the approval as it stands after it.

    ``run_id`` pins the run: a link issued for one run never decides another of the same id.
    """
    return await _update(client, workflow_id, run_id, DECIDE_UPDATE, decision)


async def request_redraft(
    client: Client, workflow_id: str, request: RedraftRequest, run_id: str | None = None
) -> ApprovalStatus:
    """The owner's ``redraft`` Update: the changes asked for are made, draft the next round."""
    return await _update(client, workflow_id, run_id, REDRAFT_UPDATE, request)


async def _update(
    client: Client,
    workflow_id: str,
    run_id: str | None,
    update: str,
    argument: ApprovalDecision | RedraftRequest,
) -> ApprovalStatus:
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    try:
        after: ApprovalStatus = await handle.execute_update(
            update, argument, result_type=ApprovalStatus, rpc_timeout=QUERY_TIMEOUT * 6
        )
        return after
    except WorkflowUpdateFailedError as failure:
        cause = failure.cause
        message = cause.message if isinstance(cause, ApplicationError) else str(cause)
        raise DecisionRefused(message) from None
    except RPCError as error:
        raise await _explain(client, workflow_id, run_id, error) from None


async def approval_status(
    client: Client, workflow_id: str, run_id: str | None = None
) -> ApprovalStatus:
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    try:
        status: ApprovalStatus = await handle.query(
            APPROVAL_QUERY, result_type=ApprovalStatus, rpc_timeout=QUERY_TIMEOUT
        )
        return status
    except WorkflowQueryFailedError as failure:
        raise ApprovalNotFound(f"{workflow_id} has no approval step ({failure})") from None
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise ApprovalNotFound(f"no workflow {workflow_id!r}") from None
        raise ApprovalUnavailable(
            f"Temporal did not answer for {workflow_id}: {error.message}"
        ) from None


async def open_approvals(client: Client, approver: str | None = None) -> list[ApprovalStatus]:
    """Pending approvals across every running workflow, optionally only those awaiting one email."""
    try:
        ids = [
            execution.id async for execution in client.list_workflows("ExecutionStatus = 'Running'")
        ]
    except RPCError as error:
        raise ApprovalUnavailable(f"cannot list workflows: {error.message}") from None

    async def one(workflow_id: str) -> ApprovalStatus | None:
        try:
            return await approval_status(client, workflow_id)
        except (ApprovalNotFound, ApprovalUnavailable):
            return None  # not a ritual with an approval step, or no worker to answer

    found = await asyncio.gather(*(one(workflow_id) for workflow_id in dict.fromkeys(ids)))
    wanted = approver.strip().lower() if approver else None
    return sorted(
        (
            status
            for status in found
            if status is not None
            and status.state == "pending"
            and (wanted is None or wanted in {p.email.lower() for p in status.pending})
        ),
        key=lambda status: (status.deadline is None, status.deadline, status.workflow_id),
    )
