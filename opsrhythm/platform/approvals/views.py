"""How the CLI shows an approval: as text for people, and as a JSON object for ``--json``.

The JSON object's fields (``approval_json``) are a stable interface, listed in the README.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opsrhythm.platform.approvals.models import ApprovalStatus, AuditEntry, Contact
from opsrhythm.platform.terminal import utc_iso


def _local(moment: datetime) -> str:
    """In the zone of the machine running the CLI, its abbreviation beside it ('CET'); a naive
    time is taken as UTC. ``--json`` keeps UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{aware.astimezone():%Y-%m-%d %H:%M %Z}"


def _when(status: ApprovalStatus) -> str:
    return _local(status.deadline) if status.deadline else "no deadline"


def _source(entry: AuditEntry) -> str:
    """Who sent it, as Temporal recorded; the channel only for entries from before that."""
    return f"by {entry.caller}" if entry.caller else f"via {entry.channel}"


def print_approval(status: ApprovalStatus) -> None:
    if status.state == "not_requested":
        print("Approval: not requested (yet)")
        return
    escalated = "; escalated" if status.escalated else ""
    print(
        f"Approval: {status.state} (round {status.round}), {status.policy}; "
        f"deadline {_when(status)}{escalated}"
    )
    if status.reason:
        print(f"  reason: {status.reason}")
    if status.pending:
        print("  waiting for: " + ", ".join(f"{p.name} <{p.email}>" for p in status.pending))
    for entry in status.audit:
        note = f'  "{entry.comment}"' if entry.comment else ""
        print(
            f"  {_local(entry.at)}  round {entry.round}  {entry.actor}  "
            f"{entry.action}  {_source(entry)}{note}"
        )


def print_pending(
    found: list[ApprovalStatus], approver: str | None, *, complete: bool = True
) -> None:
    """``complete`` false: some runs did not answer, so 'none' is only of those that did."""
    if not found:
        among = "" if complete else " among the runs that answered"
        print("No approvals are waiting" + (f" for {approver}" if approver else "") + among + ".")
        return
    for status in found:
        waiting = ", ".join(p.email for p in status.pending)
        print(f"{status.workflow_id}  {status.title}  (round {status.round}, due {_when(status)})")
        print(f"  waiting for: {waiting}")
        print(f"  opsrhythm approve {status.workflow_id} --as EMAIL")


def _person(contact: Contact | None) -> dict[str, str] | None:
    return None if contact is None else {"name": contact.name, "email": contact.email}


def approval_json(status: ApprovalStatus) -> dict[str, Any]:
    return {
        "workflow_id": status.workflow_id,
        "ritual_id": status.ritual_id,
        "ritual_name": status.ritual_name,
        "state": status.state,
        "round": status.round,
        "title": status.title,
        "summary": list(status.summary),
        "location": status.location,
        "policy": status.policy,
        "deadline": utc_iso(status.deadline),
        "escalated": status.escalated,
        "reason": status.reason,
        "requester": _person(status.requester),
        "approvers": [_person(p) for p in status.approvers],
        "pending": [_person(p) for p in status.pending],
        "audit": [
            {
                "at": utc_iso(entry.at),
                "round": entry.round,
                "actor": entry.actor,
                "action": entry.action,
                "channel": entry.channel,
                "caller": entry.caller or None,
                "comment": entry.comment,
            }
            for entry in status.audit
        ],
    }
