"""The approval step any ritual workflow can run: ask, remind, escalate, record, decide.

A ritual workflow inherits ``ApprovalSteps``, which gives it the ``decide`` Update (with a
validator, so unauthorised, duplicate, late and expired decisions never enter history), the
owner's ``redraft`` Update and the ``approval`` query; then it awaits
``self.approval_gate.run(...)``. Everything is addressed by the ritual's own workflow id, so
``opsrhythm approve monthly-kpi-report-2026-10`` just works. The gate's state and the checks
on what changes it are in ``workflows.approval_state``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Literal

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform.approvals import policy
    from opsrhythm.platform.approvals.models import (
        REDRAFT_UPDATE,
        SYSTEM_ACTOR,
        ApprovalContext,
        ApprovalDecision,
        ApprovalDraft,
        ApprovalEmailInput,
        ApprovalNoticeInput,
        ApprovalPlan,
        ApprovalResult,
        ApprovalStatus,
        Contact,
        EmailKind,
        RedraftRequest,
    )
    from workflows.approval_mail import email_approvers, notify_owner
    from workflows.approval_state import GateState

Redraft = Callable[[], Awaitable[ApprovalDraft]]
NoticeEvent = Literal["changes_requested", "rejected", "approved_at_deadline", "escalated"]
# Runs that started before these replay without them: an escalation that counts the backup's
# earlier decision, a request for changes that waits for the owner's redraft (or the configured
# delay), and the email telling the approvers who did not decide how it was settled.
ESCALATION_PATCH = "approval-escalation-counts-earlier-decisions"
REDRAFT_PATCH = "approval-redraft-waits-for-owner"
SETTLED_PATCH = "approval-settled-email"


class ApprovalGate(GateState):
    """Runs the rounds: ask, remind, escalate, wait for a redraft, tell how it was settled."""

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
            draft = await self._next_draft(plan, redraft)
        outcome = "approved" if self.round.settled == "approved" else "rejected"
        if workflow.patched(SETTLED_PATCH):
            await self._tell_settled()
        if outcome == "rejected":
            await self._notify("rejected", "The draft was rejected; nothing was sent", self.reason)
        return ApprovalResult(
            outcome=outcome, reason=self.reason, rounds=self.round.number, audit=list(self.audit)
        )

    async def _next_draft(self, plan: ApprovalPlan, redraft: Redraft) -> ApprovalDraft:
        """Tell the owner what was asked, wait for their redraft (or the delay), draft again."""
        if not workflow.patched(REDRAFT_PATCH):
            comments = "; ".join(
                f"{d.actor}: {d.comment}" for d in self.round.decisions.values() if d.comment
            )
            await self._notify("changes_requested", "Changes were requested", comments)
            return await redraft()
        asked = policy.asked(self.round)
        delay = plan.redraft_after_seconds
        self.redraft_due = workflow.now() + timedelta(seconds=delay) if delay else None
        self.awaiting_redraft, self._redraft_requested = True, False
        await self._notify("changes_requested", "Changes were requested", "; ".join(asked))
        try:
            await workflow.wait_condition(lambda: self._redraft_requested, timeout=delay)
        except TimeoutError:
            self._system_entry("redraft", "nobody redrafted in time; redrafted as configured")
        self.awaiting_redraft = False
        before = self.draft.figures
        draft = await redraft()
        return draft.model_copy(
            update={"asked": asked, "changed": policy.changed(before, draft.figures)}
        )

    async def _one_round(self, plan: ApprovalPlan) -> None:
        if await self._ask("request", policy.undecided(plan, self.round)):
            return
        backup = plan.backup
        if plan.on_timeout == "escalate" and backup is not None:
            counted = workflow.patched(ESCALATION_PATCH)
            earlier = self.round.decisions.get(policy.key(backup.email)) if counted else None
            note = f"{backup.email} had decided ({earlier.action})" if earlier else "asked"
            if not earlier:
                note += f" {backup.email}"
            self._system_entry("escalate", f"no decision by the deadline; {note}")
            self.round.escalated = True
            if counted:
                # The backup's earlier decision now settles it: they are not asked again.
                self._settle()
                if self.round.settled is not None:
                    return
            await self._notify("escalated", f"No decision by the deadline: asked {backup.name}")
            if self.round.settled is not None or await self._ask("escalation", [backup]):
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

    async def _tell_settled(self) -> None:
        """Tell the approvers who were asked but did not decide; a failure only logs."""
        assert self.plan is not None
        recipients = policy.undecided(self.plan, self.round)
        at_deadline = any(
            e.round == self.round.number and e.actor == SYSTEM_ACTOR and e.action == "approve"
            for e in self.audit
        )
        outcome = policy.outcome_words(self.round, self.reason, at_deadline)
        label = f"settled-r{self.round.number}"
        try:
            await self._email("settled", recipients, label, outcome)
        except ActivityError as error:
            workflow.logger.warning("Approval email %s not sent: %s", label, error)

    async def _email(
        self, kind: EmailKind, recipients: list[Contact], label: str, outcome: str = ""
    ) -> None:
        assert self.plan is not None and self.context is not None and self.deadline is not None
        request = ApprovalEmailInput(
            context=self.context,
            kind=kind,
            round=self.round.number,
            draft=self.draft,
            recipients=recipients,
            requester=self.plan.requester,
            deadline=self.deadline,
            outcome=outcome,
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
            redraft_due=self.redraft_due if event == "changes_requested" else None,
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

    @workflow.update(name=REDRAFT_UPDATE)
    def redraft(self, request: RedraftRequest) -> ApprovalStatus:
        """The owner's word that the requested changes are made: draft the next round now."""
        self.approval_gate.record_redraft(request)
        return self.approval_gate.status(workflow.info().workflow_id)

    @redraft.validator
    def _validate_redraft(self, request: RedraftRequest) -> None:
        self.approval_gate.validate_redraft(request)
