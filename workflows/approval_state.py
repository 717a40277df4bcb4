"""What the approval step's Update handlers and query see and change: one gate's state.

``workflows.approval.ApprovalGate`` runs the rounds over it. The handlers check a decision
again before recording it (validators do not run on replay) against ``workflow.now()``, which
replay gives back as it was, so a replayed run records what the live one did.
Deterministic code only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform.approvals import policy
    from opsrhythm.platform.approvals.models import (
        SYSTEM_ACTOR,
        ApprovalContext,
        ApprovalDecision,
        ApprovalDraft,
        ApprovalPlan,
        ApprovalStatus,
        AuditEntry,
        RedraftRequest,
    )

SystemAction = Literal["approve", "reject", "escalate", "redraft"]
_STATES: dict[policy.Settlement, Literal["approved", "rejected", "redrafting"]] = {
    "approved": "approved",
    "rejected": "rejected",
    "changes_requested": "redrafting",
}


class GateState:
    """One approval's state across its rounds, and the checks of what may change it."""

    def __init__(self) -> None:
        self.plan: ApprovalPlan | None = None
        self.context: ApprovalContext | None = None
        self.draft = ApprovalDraft(title="")
        self.round = policy.Round()
        self.deadline: datetime | None = None
        self.audit: list[AuditEntry] = []
        self.reason = ""
        self.awaiting_redraft = False
        self.redraft_due: datetime | None = None
        self._redraft_requested = False

    def status(self, workflow_id: str) -> ApprovalStatus:
        plan, state = self.plan, self.round
        if plan is None:
            return ApprovalStatus(workflow_id=workflow_id, state="not_requested")
        return ApprovalStatus(
            workflow_id=workflow_id,
            ritual_id=self.context.ritual_id if self.context else "",
            ritual_name=self.context.ritual_name if self.context else "",
            state=_STATES[state.settled] if state.settled else "pending",
            round=state.number,
            title=self.draft.title,
            summary=self.draft.summary,
            location=self.draft.location,
            policy=policy.describe_policy(plan),
            deadline=self.deadline,
            escalated=state.escalated,
            approvers=policy.deciders(plan, state.escalated),
            pending=policy.undecided(plan, state) if state.settled is None else [],
            requester=plan.requester,
            owner=plan.owner,
            reason=self.reason,
            audit=list(self.audit),
            asked=self.draft.asked,
            changed=self.draft.changed,
            redraft_due=self.redraft_due if self.awaiting_redraft else None,
            run_id=workflow.info().run_id,
        )

    def validate(self, decision: ApprovalDecision) -> None:
        refused = policy.refusal(self.plan, self.round, decision, workflow.now())
        if refused is not None:
            raise ApplicationError(refused, type="DecisionRefused", non_retryable=True)

    def record(self, decision: ApprovalDecision) -> None:
        """The Update handler: validators do not run on replay, so check again before recording.

        The check reads ``workflow.now()``, which replay gives back as it was, so it agrees."""
        self.validate(decision)
        entry = AuditEntry(
            round=self.round.number,
            actor=policy.key(decision.approver),
            action=decision.decision,
            at=workflow.now(),
            channel=decision.channel,
            comment=decision.comment.strip(),
            update_id=_update_id(),
        )
        self.round.decisions[entry.actor] = entry
        self.audit.append(entry)
        self._settle()

    def validate_redraft(self, request: RedraftRequest) -> None:
        if not self.awaiting_redraft or self._redraft_requested:
            refused = "this run is not waiting for a redraft"
        elif request.round is not None and request.round != self.round.number:
            refused = f"round {self.round.number} asked for changes, not round {request.round}"
        else:
            return
        raise ApplicationError(refused, type="RedraftRefused", non_retryable=True)

    def record_redraft(self, request: RedraftRequest) -> None:
        self.validate_redraft(request)
        assert self.plan is not None  # only a run with a plan awaits a redraft
        self._redraft_requested = True
        self.audit.append(
            AuditEntry(
                round=self.round.number,
                actor=request.requested_by.strip() or self.plan.owner.email,
                action="redraft",
                at=workflow.now(),
                channel=request.channel,
                update_id=_update_id(),
            )
        )

    def _settle(self) -> None:
        assert self.plan is not None  # validate refuses while there is no plan
        self.round.settled = policy.settle(self.plan, self.round)
        if self.round.settled == "rejected":
            self.reason = policy.rejection_reason(self.round)

    def _system_entry(self, action: SystemAction, comment: str) -> None:
        entry = AuditEntry(
            round=self.round.number,
            actor=SYSTEM_ACTOR,
            action=action,
            at=workflow.now(),
            channel="deadline",
            comment=comment,
        )
        self.audit.append(entry)


def _update_id() -> str:
    """The Update being handled: the client finds its caller's identity in history by this."""
    info = workflow.current_update_info()
    return info.id if info else ""
