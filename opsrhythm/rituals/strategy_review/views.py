"""How the CLI shows a strategy review: its stage, who has submitted (latest version, late or
not), who is late, what is pending, and its sign-off; as text and as a JSON object.

Neither shows what an owner wrote (narrative, risks, asks): the status says who has
reported, the pack says what.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from opsrhythm.platform.approvals.views import approval_json, print_approval
from opsrhythm.platform.terminal import utc_iso
from opsrhythm.rituals.strategy_review.models import ReviewStatus, SubmittedStatus

RUN_ID_SUFFIX = re.compile(r"-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def latest_submissions(status: ReviewStatus) -> list[SubmittedStatus]:
    """Each item's latest version, in item order (the query may list every version)."""
    latest: dict[str, SubmittedStatus] = {}
    for entry in status.submitted:
        item = entry.submission.item_id
        if item not in latest or entry.version > latest[item].version:
            latest[item] = entry
    return sorted(latest.values(), key=lambda entry: entry.submission.item_id)


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "not planned yet"


def _owners(status: ReviewStatus) -> dict[str, str]:
    return {item.item_id: item.owner.email for item in status.items}


def _waiting(item_ids: list[str], owners: dict[str, str]) -> str:
    return ", ".join(f"{item} ({owners[item]})" if item in owners else item for item in item_ids)


def review_lines(status: ReviewStatus) -> list[str]:
    """Stage, dates, who submitted (latest version), who is late, what is pending."""
    lines = [
        f"Review {status.ritual_id} {status.period}: {status.stage}",
        f"  due {_when(status.due_at)}; pre-read {_when(status.pre_read_at)}; "
        f"meeting {_when(status.meeting_at)}",
    ]
    owners = _owners(status)
    submitted = latest_submissions(status)
    lines.append(f"  submitted: {len(submitted)}" + ("" if submitted else " (none yet)"))
    for entry in submitted:
        sent = entry.submission
        late = ", late" if entry.late else ""
        lines.append(
            f"    {sent.item_id}  {sent.owner}  {sent.rag}, {sent.confidence}%  "
            f"version {entry.version}{late}  {entry.submitted_at:%Y-%m-%d %H:%M} UTC"
        )
    if status.late:
        lines.append(f"  late: {_waiting(status.late, owners)}")
    if status.pending:
        lines.append(f"  pending: {_waiting(status.pending, owners)}")
    for failed in undelivered(status):
        lines.append(f"  not delivered: {failed['emails']} to {failed['email']}: {failed['error']}")
    return lines


def undelivered(status: ReviewStatus) -> list[dict[str, str]]:
    """Each email that could not be sent (the owner was told): which, to whom, why."""
    return [
        {"emails": RUN_ID_SUFFIX.sub("", d.message_kind), "email": f.email, "error": f.error}
        for d in status.undelivered
        for f in d.failed
    ]


def print_review(status: ReviewStatus) -> None:
    print("\n".join(review_lines(status)))
    if status.approval is not None:
        print_approval(status.approval)


def review_json(status: ReviewStatus) -> dict[str, Any]:
    """The ``--json`` object (fields listed in the README)."""
    return {
        "workflow_id": status.workflow_id,
        "ritual_id": status.ritual_id,
        "period": status.period,
        "stage": status.stage,
        "due_at": utc_iso(status.due_at),
        "pre_read_at": utc_iso(status.pre_read_at),
        "meeting_at": utc_iso(status.meeting_at),
        "submitted": [
            {
                "item_id": entry.submission.item_id,
                "owner": entry.submission.owner,
                "rag": entry.submission.rag,
                "confidence": entry.submission.confidence,
                "version": entry.version,
                "late": entry.late,
                "submitted_at": utc_iso(entry.submitted_at),
                "channel": entry.submission.channel,
                "caller": entry.caller,
            }
            for entry in latest_submissions(status)
        ],
        "late": status.late,
        "pending": status.pending,
        "undelivered": undelivered(status),
        "approval": approval_json(status.approval) if status.approval else None,
    }
