"""Approval emails go once per run: a re-run of a failed period asks its approvers again.

The report's workflow on the time-skipping server with its gather and render faked; the
approval requests go through the real ``send_email`` activity, its ledger and the outbox.
"""

from __future__ import annotations

import concurrent.futures
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.email import EmailActivities
from opsrhythm.platform import resources
from opsrhythm.platform.approvals.models import ApprovalEmailInput, ApprovalEmails, ApprovalMessage
from opsrhythm.platform.config import EmailSettings
from opsrhythm.platform.ledger import SendLedger
from opsrhythm.platform.mail.notices import render_notice
from opsrhythm.platform.mail.outbox import OutboxTransport
from opsrhythm.platform.models import DeliveryResult, RenderedEmail, SendEmailInput
from opsrhythm.rituals.kpi_report.models import KpiReportInput
from tests.databases import sqlite_url
from tests.workflows.approval_fakes import DEV, ApprovalFakes, approval, approval_state, decide
from workflows.kpi_report import KpiReportWorkflow

SETTINGS = EmailSettings(from_email="ops@acme.test")


class RefusedReportFakes(ApprovalFakes):
    """Approval requests rendered to real files and sent by ``email``; the report's own send
    refused for good, so every run fails after its approval."""

    def __init__(self, email: EmailActivities, drafts: Path) -> None:
        super().__init__(approval(approvers=[DEV]))
        self._email = email
        self._drafts = drafts

    def all(self) -> list[Callable[..., Any]]:
        replaced = {"send_email", "render_approval_emails"}
        kept = [fn for fn in super().all() if getattr(fn, "__name__", "") not in replaced]

        @activity.defn(name="render_approval_emails")
        def render_approval_emails(input: ApprovalEmailInput) -> ApprovalEmails:
            messages = []
            for recipient in input.recipients:
                path = self._drafts / f"{input.kind}-r{input.round}-{recipient.email}.json"
                body = RenderedEmail(subject=f"Approve: {input.draft.title}", html="", text="Yes?")
                path.write_text(body.model_dump_json())
                messages.append(ApprovalMessage(recipient=recipient, path=str(path)))
            return ApprovalEmails(messages=messages)

        @activity.defn(name="send_email")
        def send_email(input: SendEmailInput) -> DeliveryResult:
            if input.message_kind == "report":
                raise ApplicationError("SendGrid refused the account", non_retryable=True)
            return self._email.send_email(input)

        return [*kept, render_approval_emails, send_email]


async def test_a_rerun_of_a_failed_run_emails_its_approver_again(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """Two runs of one id, each failing after its approval: the approver gets two requests,
    one ledger key per run, both sent."""
    env = time_skipping_env
    outbox = tmp_path / "outbox"
    ledger = SendLedger.from_url(sqlite_url(tmp_path / "ledger.db"))
    email = EmailActivities(
        OutboxTransport(outbox, SETTINGS),
        lambda: ledger,
        SETTINGS,
        lambda notice: render_notice(notice, resources.templates_dir()),
    )
    fakes = RefusedReportFakes(email, tmp_path)
    workflow_id = f"monthly-kpi-report-2026-10-{uuid.uuid4().hex[:8]}"
    task_queue = str(uuid.uuid4())
    run_ids = []
    try:
        async with Worker(
            env.client,
            task_queue=task_queue,
            workflows=[KpiReportWorkflow],
            activities=fakes.all(),
            activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=2),
        ):
            for _ in range(2):
                handle = await env.client.start_workflow(
                    KpiReportWorkflow.run,
                    KpiReportInput(ritual_id="monthly-kpi-report", period="2026-10"),
                    id=workflow_id,
                    task_queue=task_queue,
                )
                await approval_state(handle)
                await decide(handle, DEV)
                with pytest.raises(WorkflowFailureError):
                    await handle.result()
                run_ids.append(handle.result_run_id)
        with ledger.engine.connect() as conn:
            rows = conn.execute(ledger.table.select()).all()
    finally:
        ledger.close()
    requests = [p for p in outbox.glob("*.eml") if DEV.email in p.name]
    approval_rows = sorted((r.message_kind, r.status) for r in rows if r.audience_id == "approval")
    assert 2 == len(requests)
    assert sorted((f"approval-request-r1-{run}", "sent") for run in run_ids) == approval_rows
