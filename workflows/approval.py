"""The approval step any ritual workflow can run: ask, remind, escalate, record, decide.

A ritual workflow inherits ``ApprovalSteps``, which gives it the ``decide`` Update (with a
validator, so unauthorised, duplicate and late decisions never enter history) and the
``approval`` query; then it awaits ``self.approval_gate.run(...)``. Everything is addressed by
the ritual's own workflow id, so ``opsrhythm approve monthly-kpi-report-2026-10`` just works.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Literal

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform.approvals import policy
    from opsrhythm.platform.approvals.models import (
        SYSTEM_ACTOR,
        ApprovalContext,
        ApprovalDecision,
        ApprovalDraft,
        ApprovalEmailInput,
        ApprovalNoticeInput,
        ApprovalPlan,
        ApprovalResult,
        ApprovalStatus,
        AuditEntry,
        Contact,
        EmailKind,
    )
    from workflows.approval_mail import email_approvers, notify_owner

Redraft = Callable[[], Awaitable[ApprovalDraft]]
SystemAction = Literal["approve", "reject", "escalate"]
NoticeEvent = Literal["changes_requested", "rejected", "approved_at_deadline", "escalated"]
_STATES: dict[policy.Settlement, Literal["approved", "rejected", "redrafting"]] = {
    "approved": "approved",
    "rejected": "rejected",
    "changes_requested": "redrafting",
}


class ApprovalGate:
    """One approval's state across its rounds; the owning workflow exposes it (ApprovalSteps)."""

    def __init__(self) -> None:
        self.plan: ApprovalPlan | None = None
        self.context: ApprovalContext | None = None
        self.draft = ApprovalDraft(title="")
        self.round = policy.Round()
        self.deadline: datetime | None = None
        self.audit: list[AuditEntry] = []
        self.reason = ""

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
            reason=self.reason,
            audit=list(self.audit),
        )

    def validate(self, decision: ApprovalDecision) -> None:
        refused = policy.refusal(self.plan, self.round, decision)
        if refused is not None:
            raise ApplicationError(refused, type="DecisionRefused", non_retryable=True)

    def record(self, decision: ApprovalDecision) -> None:
        """The Update handler: validators do not run on replay, so check again before recording."""
        self.validate(decision)
        assert self.plan is not None  # validate refuses while there is no plan
        entry = AuditEntry(
            round=self.round.number,
            actor=policy.key(decision.approver),
            action=decision.decision,
            at=workflow.now(),
            channel=decision.channel,
            comment=decision.comment.strip(),
        )
        self.round.decisions[entry.actor] = entry
        self.audit.append(entry)
        self.round.settled = policy.settle(self.plan, self.round)
        if self.round.settled == "rejected":
            self.reason = policy.rejection_reason(self.round)

    async def run(
        self, plan: ApprovalPlan, context: ApprovalContext, draft: ApprovalDraft, redraft: Redraft
    ) -> ApprovalResult:
        """Ask until approved or rejected; a request for changes redrafts and asks again."""
        self.plan, self.context = plan, context
        while True:
            self.draft = draft
            self.round = policy.Round(number=self.round.number + 1, open=True)
            await self._one_round(plan)
            self.round.open = False
            if self.round.settled != "changes_requested":
                break
            comments = "; ".join(
                f"{d.actor}: {d.comment}" for d in self.round.decisions.values() if d.comment
            )
            await self._notify("changes_requested", "Changes were requested", comments)
            draft = await redraft()
        outcome = "approved" if self.round.settled == "approved" else "rejected"
        if outcome == "rejected":
            await self._notify("rejected", "The draft was rejected; nothing was sent", self.reason)
        return ApprovalResult(
            outcome=outcome, reason=self.reason, rounds=self.round.number, audit=list(self.audit)
        )

    async def _one_round(self, plan: ApprovalPlan) -> None:
        if await self._ask("request", policy.undecided(plan, self.round)):
            return
        if plan.on_timeout == "escalate" and plan.backup is not None:
            self._system_entry(
                "escalate", f"no decision by the deadline; asked {plan.backup.email}"
            )
            self.round.escalated = True
            await self._notify(
                "escalated", f"No decision by the deadline: asked {plan.backup.name}"
            )
            if self.round.settled is not None or await self._ask("escalation", [plan.backup]):
                return
            self.reason = "no decision by the deadline, even after escalating to the backup"
        elif plan.on_timeout == "approve":
            self._system_entry("approve", "no decision by the deadline; approved as configured")
            self.round.settled = "approved"
            await self._notify("approved_at_deadline", "No decision by the deadline: approved")
            return
        else:
            self.reason = "no decision by the deadline"
        self._system_entry("reject", self.reason)
        self.round.settled = "rejected"

    async def _ask(self, kind: EmailKind, recipients: list[Contact]) -> bool:
        """Email the request, remind on the plan, and say whether it settled before the deadline."""
        assert self.plan is not None
        start = workflow.now()
        self.deadline = start + timedelta(seconds=self.plan.deadline_seconds)
        await self._email(kind, recipients, f"{kind}-r{self.round.number}")
        for number, offset in enumerate(self.plan.reminder_offsets_seconds, 1):
            if await self._settled_by(start + timedelta(seconds=offset)):
                return True
            label = f"reminder-r{self.round.number}{'e' if kind == 'escalation' else ''}-{number}"
            try:
                await self._email("reminder", policy.undecided(self.plan, self.round), label)
            except ActivityError as error:
                workflow.logger.warning("Approval reminder %s not sent: %s", label, error)
        return await self._settled_by(self.deadline)

    async def _settled_by(self, moment: datetime) -> bool:
        remaining = (moment - workflow.now()).total_seconds()
        try:
            await workflow.wait_condition(
                lambda: self.round.settled is not None, timeout=max(remaining, 0.001)
            )
        except TimeoutError:
            return self.round.settled is not None
        return True

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

    async def _email(self, kind: EmailKind, recipients: list[Contact], label: str) -> None:
        assert self.plan is not None and self.context is not None and self.deadline is not None
        request = ApprovalEmailInput(
            context=self.context,
            kind=kind,
            round=self.round.number,
            draft=self.draft,
            recipients=recipients,
            requester=self.plan.requester,
            deadline=self.deadline,
        )
        await email_approvers(request, label)

    async def _notify(self, event: NoticeEvent, headline: str, detail: str = "") -> None:
        assert self.plan is not None and self.context is not None
        notice = ApprovalNoticeInput(
            context=self.context,
            owner=self.plan.owner,
            round=self.round.number,
            event=event,
            headline=headline,
            detail=detail,
        )
        await notify_owner(notice)


class ApprovalSteps:
    """Mixin for ritual workflows: the ``decide`` Update and ``approval`` query over one gate."""

    def __init__(self) -> None:
        self.approval_gate = ApprovalGate()

    @workflow.query
    def approval(self) -> ApprovalStatus:
        return self.approval_gate.status(workflow.info().workflow_id)

    @workflow.update
    def decide(self, decision: ApprovalDecision) -> ApprovalStatus:
        self.approval_gate.record(decision)
        return self.approval_gate.status(workflow.info().workflow_id)

    @decide.validator
    def _validate_decision(self, decision: ApprovalDecision) -> None:
        self.approval_gate.validate(decision)
