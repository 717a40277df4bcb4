"""Every approval waiting across the running workflows (``opsrhythm pending``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from temporalio.client import Client
from temporalio.service import RPCError

from opsrhythm.platform.approvals.client import (
    ApprovalNotFound,
    ApprovalUnavailable,
    approval_status,
)
from opsrhythm.platform.approvals.models import ApprovalStatus


@dataclass(frozen=True)
class OpenApprovals:
    approvals: list[ApprovalStatus]
    """Pending, soonest deadline first."""
    unanswered: list[str]
    """Running workflows that did not answer: whether they await anyone is unknown."""


async def open_approvals(client: Client, approver: str | None = None) -> OpenApprovals:
    """Pending approvals across every running workflow, optionally only those awaiting one
    email; and the runs that could not be asked."""
    try:
        ids = [
            execution.id async for execution in client.list_workflows("ExecutionStatus = 'Running'")
        ]
    except RPCError as error:
        raise ApprovalUnavailable(f"cannot list workflows: {error.message}") from None

    async def one(workflow_id: str) -> ApprovalStatus | str | None:
        try:
            return await approval_status(client, workflow_id)
        except ApprovalNotFound:
            return None  # not a ritual with an approval step
        except ApprovalUnavailable:
            return workflow_id

    found = await asyncio.gather(*(one(workflow_id) for workflow_id in dict.fromkeys(ids)))
    wanted = approver.strip().lower() if approver else None
    pending = sorted(
        (
            status
            for status in found
            if isinstance(status, ApprovalStatus)
            and status.state == "pending"
            and (wanted is None or wanted in {p.email.lower() for p in status.pending})
        ),
        key=lambda status: (status.deadline is None, status.deadline, status.workflow_id),
    )
    return OpenApprovals(pending, [item for item in found if isinstance(item, str)])
