"""``run --again``: produce a period once more, under its same workflow id, after its run closed
without delivering: the draft was rejected, or the run failed, was terminated or timed out.

A period whose run delivered is refused: the send ledger, keyed by workflow id, would skip every
recipient, so a second run could only look as if it sent. The ledger is also why ``--again``
never sends anyone a period's report twice: whoever a failed run reached stays skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.service import RPCError, RPCStatusCode

from opsrhythm.platform.cli_errors import CommandError
from opsrhythm.platform.runs import again_command
from opsrhythm.platform.temporal_runtime import TemporalUnavailable

UNDELIVERED = {
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.TERMINATED: "was terminated",
    WorkflowExecutionStatus.TIMED_OUT: "timed out",
    WorkflowExecutionStatus.CANCELED: "was cancelled",
}


@dataclass(frozen=True)
class PreviousRun:
    """How the latest run of a workflow id stands."""

    closed: bool
    delivered: bool
    said: str
    """What happened to it, after its id: "was rejected", "failed", "is running"…"""
    closed_at: datetime | None = None


async def previous_run(client: Client, workflow_id: str) -> PreviousRun | None:
    """The latest run of ``workflow_id``, or None when the server has none."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        described = await handle.describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise TemporalUnavailable(f"could not look up {workflow_id}: {error.message}") from None
    status = described.status
    if status in UNDELIVERED:
        return PreviousRun(True, False, UNDELIVERED[status], described.close_time)
    if status != WorkflowExecutionStatus.COMPLETED:
        return PreviousRun(False, False, "is still running")
    try:
        result = await handle.result(follow_runs=False)
    except WorkflowFailureError:  # closed between the two calls
        return PreviousRun(True, False, "failed", described.close_time)
    if rejected(result):
        return PreviousRun(True, False, "was rejected", described.close_time)
    return PreviousRun(True, True, "was delivered", described.close_time)


def rejected(result: object) -> bool:
    """A finished run's result (decoded without its type) says its approval rejected it."""
    approval = result.get("approval") if isinstance(result, dict) else None
    return isinstance(approval, dict) and approval.get("outcome") == "rejected"


def refuse_unless_undelivered(previous: PreviousRun | None, workflow_id: str) -> None:
    """``--again`` goes ahead only where the previous run closed without delivering."""
    if previous is None or (previous.closed and not previous.delivered):
        return
    if not previous.closed:
        raise CommandError(
            f"refused: {workflow_id} is still running; --again only produces a period whose "
            f"run closed without delivering (see: opsrhythm status {workflow_id})"
        )
    on = f" on {previous.closed_at:%Y-%m-%d}" if previous.closed_at else ""
    raise CommandError(
        f"refused: {workflow_id} was delivered{on}; the ledger would send nothing again"
    )


def completed_line(
    previous: PreviousRun | None, workflow_id: str, ritual_id: str, period: str
) -> str:
    """Why a start without ``--again`` was refused, and what to do about it."""
    if previous is not None and previous.closed and not previous.delivered:
        return (
            f"refused: {workflow_id} {previous.said} for {period} and sent no report; "
            f"produce it again with: {again_command(ritual_id, period)}"
        )
    return (
        f"refused: {workflow_id} already completed for {period}; no second report is "
        "sent (add --wait to see its result)"
    )


def joined_line(previous: PreviousRun | None, workflow_id: str, ritual_id: str, period: str) -> str:
    """``run --wait`` on a period that already ran: its result follows this line."""
    if previous is not None and previous.closed and not previous.delivered:
        return (
            f"{workflow_id} {previous.said} for {period} (produce it again with: "
            f"{again_command(ritual_id, period)}); its result:"
        )
    return f"{workflow_id} already completed for {period}; its result:"
