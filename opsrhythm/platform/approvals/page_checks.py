"""Whether the request behind a link is still the one open, and if not, why, in plain words.

A link names its run and round (``LinkClaims``). The pages ask the workflow id's current run
(``approval`` query, no run id) and compare: a link from an earlier run, an earlier round, or a
settled request gets a page that says which, instead of a bare "not open".
"""

from __future__ import annotations

from opsrhythm.platform.approvals.links import LinkClaims
from opsrhythm.platform.approvals.models import ApprovalStatus
from opsrhythm.platform.web_pages import Refusal


def run_refusal(status: ApprovalStatus, claims: LinkClaims) -> Refusal | None:
    """None if the link was issued by the run now current for its workflow id.

    A token from before links named their run (no run id) is taken by the current run, as it
    was then: such tokens are only in emails sent before the upgrade, they expire at their
    round's deadline, and refusing them would strand the approvers of runs in flight.
    """
    if not claims.run_id or claims.run_id == status.run_id:
        return None
    return Refusal(
        410,
        "This link belongs to an earlier run",
        f"This link belongs to an earlier run of {claims.workflow_id}; use the newest email.",
    )


def settled_refusal(status: ApprovalStatus) -> Refusal | None:
    if status.state not in ("approved", "rejected"):
        return None
    why = f": {status.reason}" if status.reason else ""
    return Refusal(
        409,
        f"This request was settled: {status.state}",
        f"It was {status.state} in round {status.round}{why}. Nothing more is needed from you.",
    )


def round_refusal(status: ApprovalStatus, claims: LinkClaims) -> Refusal | None:
    """None if the link's round is the open one; else why not (finding 9: never a bare state)."""
    refusal = run_refusal(status, claims) or settled_refusal(status)
    if refusal is not None:
        return refusal
    if claims.round < status.round:
        return Refusal(
            409,
            f"This request was replaced by round {status.round}",
            f"Changes were requested after round {claims.round}, and round {status.round} "
            f"asks again with a new draft: use the email for round {status.round}.",
        )
    if claims.round == status.round and status.state == "redrafting":
        return Refusal(
            409,
            "Changes were requested in this round",
            f"The draft is being redone; you will be asked again in round {status.round + 1}.",
        )
    if claims.round == status.round and status.state == "pending":
        return None
    return Refusal(409, "This request is not open", f"No approval of round {claims.round} is open.")
