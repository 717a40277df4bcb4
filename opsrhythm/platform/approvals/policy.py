"""The approval rules as pure functions: who may decide now, and when a round is settled.

The workflow's Update validator asks ``refusal`` before a decision enters history; the handler
then records it and asks ``settle``. No I/O, no clocks: safe inside a workflow.

A round is approved once ``required`` approvers approve; rejected when a veto holder rejects,
or when too few approvers remain to reach ``required``; sent back for a new draft on any
request for changes. After an escalation the backup approver's decision settles it alone,
an earlier one included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from opsrhythm.platform.approvals.models import ApprovalDecision, ApprovalPlan, AuditEntry, Contact

Settlement = Literal["approved", "rejected", "changes_requested"]


@dataclass
class Round:
    """One request for a decision; a request for changes starts the next round."""

    number: int = 0
    open: bool = False
    escalated: bool = False
    settled: Settlement | None = None
    decisions: dict[str, AuditEntry] = field(default_factory=dict)
    """By lower-cased approver email."""


def key(email: str) -> str:
    return email.strip().lower()


def deciders(plan: ApprovalPlan, escalated: bool) -> list[Contact]:
    """Everyone who may decide this round: the approvers, and the backup once escalated."""
    people = list(plan.approvers)
    if escalated and plan.backup and key(plan.backup.email) not in {key(p.email) for p in people}:
        people.append(plan.backup)
    return people


def undecided(plan: ApprovalPlan, state: Round) -> list[Contact]:
    """Deciders still to be heard from, the requester aside: they are never asked."""
    requester = key(plan.requester.email)
    return [
        p
        for p in deciders(plan, state.escalated)
        if key(p.email) not in state.decisions and key(p.email) != requester
    ]


def refusal(
    plan: ApprovalPlan | None, state: Round, decision: ApprovalDecision, now: datetime
) -> str | None:
    """Why this decision may not be recorded, in one sentence; None when it may.

    ``now`` is the workflow's clock: the handler checks again on replay and must see the same.
    """
    who = key(decision.approver)
    if decision.not_after is not None and decision.not_after < now:
        # Its sender gave up waiting (no worker was up): applying it now would decide behind
        # their back.
        return (
            f"this decision arrived after its sender stopped waiting (at "
            f"{decision.not_after:%H:%M} UTC; no worker was running); it was not recorded "
            "— decide again"
        )
    if plan is None or (state.number == 0 and not state.open):
        return "this run is not waiting for an approval yet"
    if state.settled is not None or not state.open:
        if state.settled == "changes_requested":
            return (
                "changes were requested: a new draft is being prepared, and a new request follows"
            )
        return f"this approval is already settled ({state.settled or 'closed'})"
    if decision.round is not None and decision.round != state.number:
        return f"this request (round {decision.round}) was replaced by round {state.number}"
    if who not in {key(p.email) for p in deciders(plan, state.escalated)}:
        return f"{decision.approver} is not an approver of this request"
    if who == key(plan.requester.email) and decision.decision == "approve":
        return f"{decision.approver} requested this approval and cannot approve it"
    earlier = state.decisions.get(who)
    if earlier is not None:
        when = f"{earlier.at:%Y-%m-%d %H:%M} UTC"
        return f"{decision.approver} already decided ({earlier.action} at {when})"
    if decision.decision == "reject" and not decision.comment.strip():
        return "a reason is required to reject"
    if decision.decision == "request_changes" and not decision.comment.strip():
        return "a comment saying what to change is required"
    return None


def settle(plan: ApprovalPlan, state: Round) -> Settlement | None:
    """The round's outcome from the decisions so far, or None while it is still open."""
    decisions = state.decisions.values()
    if any(d.action == "request_changes" for d in decisions):
        return "changes_requested"
    if state.escalated and plan.backup is not None:
        backup = state.decisions.get(key(plan.backup.email))
        if backup is not None:
            return "approved" if backup.action == "approve" else "rejected"
    vetoes = {key(email) for email in plan.veto}
    if any(d.action == "reject" and key(d.actor) in vetoes for d in decisions):
        return "rejected"
    approvals = sum(d.action == "approve" for d in decisions)
    if approvals >= plan.required:
        return "approved"
    could_still_approve = approvals + len(undecided(plan, state))
    if could_still_approve < plan.required:
        return "rejected"
    return None


def rejection_reason(state: Round) -> str:
    """'Rejected by dev@x: figures are wrong; …' from the round's rejections."""
    reasons = [f"{d.actor}: {d.comment}" for d in state.decisions.values() if d.action == "reject"]
    return "rejected by " + "; ".join(reasons) if reasons else "rejected"


def asked(state: Round) -> list[str]:
    """'who: what' for each request for changes: approvals' comments are not requests."""
    return [
        f"{d.actor}: {d.comment}" for d in state.decisions.values() if d.action == "request_changes"
    ]


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """'name: old -> new' for each figure that differs between two drafts, in the new order."""
    names = list(dict.fromkeys([*after, *before]))
    return [
        f"{name}: {before.get(name, '—')} -> {after.get(name, '—')}"
        for name in names
        if before.get(name) != after.get(name)
    ]


def outcome_words(state: Round, reason: str, at_deadline: bool) -> str:
    """How the round was settled, for the approvers who did not decide it."""
    if state.settled == "rejected":
        return reason if reason.startswith("rejected") else f"rejected: {reason}"
    if at_deadline:
        return "approved at the deadline, as configured"
    return "approved by " + ", ".join(
        d.actor for d in state.decisions.values() if d.action == "approve"
    )


def describe_policy(plan: ApprovalPlan) -> str:
    """The policy in words, counting only the approvers who may approve: never the requester."""
    requester = key(plan.requester.email)
    eligible = [p for p in plan.approvers if key(p.email) != requester]
    every = "every approver but the requester" if eligible != plan.approvers else "every approver"
    names = {"any": "any one approver", "all": every}
    text = names.get(plan.policy, f"{plan.required} of {len(eligible)} approvers")
    if plan.veto:
        text += f"; veto: {', '.join(plan.veto)}"
    return text
