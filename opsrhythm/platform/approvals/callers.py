"""Who sent each decision: the Temporal client identity in the run's history.

The server writes the identity of the client that sent an Update into its
``WorkflowExecutionUpdateAccepted`` event; the workflow records each Update's id in its audit
entry (``AuditEntry.update_id``). Matching the two gives ``AuditEntry.caller``, which no
payload can set: a stock ``temporal workflow update`` shows as the temporal CLI, whatever
channel it claims.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.service import RPCError

from opsrhythm.platform.approvals.models import ApprovalStatus


async def with_callers(
    client: Client, workflow_id: str, run_id: str | None, status: ApprovalStatus
) -> ApprovalStatus:
    """``status`` with each audit entry's caller filled in from the run's history; as it was
    if the history cannot be read (the entries then show their channel)."""
    wanted = {entry.update_id for entry in status.audit if entry.update_id and not entry.caller}
    if not wanted:
        return status
    handle = client.get_workflow_handle(workflow_id, run_id=run_id or status.run_id or None)
    callers: dict[str, str] = {}
    try:
        async for event in handle.fetch_history_events():
            if not event.HasField("workflow_execution_update_accepted_event_attributes"):
                continue
            accepted = event.workflow_execution_update_accepted_event_attributes
            meta = accepted.accepted_request.meta
            if meta.update_id in wanted:
                callers[meta.update_id] = meta.identity
                if len(callers) == len(wanted):
                    break
    except RPCError:
        return status
    audit = [
        entry.model_copy(update={"caller": callers.get(entry.update_id, entry.caller)})
        for entry in status.audit
    ]
    return status.model_copy(update={"audit": audit})
