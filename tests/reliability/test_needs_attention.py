"""A run whose deliveries hold unknown outcomes never passes as plain success.

The report's workflow on a Temporal server, its gather and render faked, its send
leaving one audience in doubt as a worker killed mid-request would; the owner's notice goes
through the real email activity, ledger and outbox.
"""

from __future__ import annotations

import concurrent.futures
import functools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

import starter
from activities.email import EmailActivities
from opsrhythm.platform import resources
from opsrhythm.platform.cli import main_async
from opsrhythm.platform.config import EmailSettings
from opsrhythm.platform.ledger import SendLedger
from opsrhythm.platform.mail.notices import render_needs_attention_notice
from opsrhythm.platform.mail.outbox import OutboxTransport
from opsrhythm.platform.models import (
    DeliveryResult,
    NeedsAttentionInput,
    SendEmailInput,
    UnknownRecipient,
)
from opsrhythm.platform.rendering import render_failure_notice
from opsrhythm.platform.run_handlers import EXIT_NEEDS_ATTENTION, start_run
from opsrhythm.rituals.kpi_report.kind import KPI_REPORT
from opsrhythm.rituals.kpi_report.models import KpiReportInput
from tests.databases import sqlite_url
from tests.test_cli_json import on_server
from tests.workflows.test_kpi_report import OWNER, FakeActivities
from workflows.kpi_report import KpiReportWorkflow

SETTINGS = EmailSettings(from_email="ops@acme.test")
IN_DOUBT = "squad"
SINCE = datetime(2026, 11, 2, 9, tzinfo=UTC)


class UnknownOutcomeFakes(FakeActivities):
    """``send_email`` leaves every recipient of the squad's email in doubt; ``notice`` is the
    needs-attention activity (a recording fake unless one is given)."""

    def __init__(self, notice: Callable[..., Any] | None = None) -> None:
        super().__init__()
        self.attention: list[NeedsAttentionInput] = []
        self._notice = notice

    def all(self) -> list[Callable[..., Any]]:
        kept = [a for a in super().all() if a.__name__ != "send_email"]

        @activity.defn(name="send_email")
        async def send_email(input: SendEmailInput) -> DeliveryResult:
            emails = [r.email for r in input.recipients]
            if input.audience_id != IN_DOUBT:
                return DeliveryResult(
                    audience_id=input.audience_id,
                    message_kind=input.message_kind,
                    transport="outbox",
                    sent=emails,
                )
            return DeliveryResult(
                audience_id=input.audience_id,
                message_kind=input.message_kind,
                transport="outbox",
                unknown=[UnknownRecipient(email=email, since=SINCE) for email in emails],
            )

        @activity.defn(name="send_needs_attention_notice")
        async def send_needs_attention_notice(input: NeedsAttentionInput) -> DeliveryResult:
            self.attention.append(input)
            return DeliveryResult(audience_id="owner", message_kind="needs-attention")

        return [*kept, send_email, self._notice or send_needs_attention_notice]


def read_outbox(outbox: Path) -> list[EmailMessage]:
    messages = []
    for path in sorted(outbox.glob("*.eml")):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert isinstance(message, EmailMessage)
        messages.append(message)
    return messages


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


@pytest.mark.dev_server
async def test_run_wait_and_status_say_needs_attention_and_the_owner_is_told_once(
    dev_server_env: WorkflowEnvironment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`run --wait` prints the count and the commands and exits 3; `status` shows the run as
    needing attention; the owner gets one email naming the audience and the commands."""
    env = dev_server_env
    outbox = tmp_path / "outbox"
    ledger = SendLedger.from_url(sqlite_url(tmp_path / "ledger.db"))
    email = EmailActivities(
        OutboxTransport(outbox, SETTINGS),
        lambda: ledger,
        SETTINGS,
        functools.partial(render_failure_notice, templates_dir=resources.templates_dir()),
        functools.partial(render_needs_attention_notice, templates_dir=resources.templates_dir()),
    )
    fakes = UnknownOutcomeFakes(notice=email.send_needs_attention_notice)
    ritual_id = f"kpis-{uuid.uuid4().hex[:8]}"
    workflow_id = f"{ritual_id}-2026-10"
    task_queue = str(uuid.uuid4())
    try:
        async with Worker(
            env.client,
            task_queue=task_queue,
            workflows=[KpiReportWorkflow],
            activities=fakes.all(),
            activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=4),
        ):
            code = await start_run(
                env.client, KPI_REPORT, ritual_id, "2026-10", wait=True, task_queue=task_queue
            )
            printed = capsys.readouterr().out
            status_code = await main_async(
                starter.commands(), ["status", workflow_id], on_server(env)
            )
            status = capsys.readouterr().out
            json_code = await main_async(
                starter.commands(), ["status", workflow_id, "--json"], on_server(env)
            )
            document = capsys.readouterr().out
        with ledger.engine.connect() as conn:
            kinds = [row.message_kind for row in conn.execute(ledger.table.select()).all()]
    finally:
        ledger.close()

    settle = (
        f"{workflow_id}: needs attention: 2 recipient(s) with an unknown outcome; list them "
        "with 'opsrhythm ledger unknown', then settle with "
        f"'opsrhythm ledger resolve {workflow_id} --mark-sent' (or --resend)"
    )
    assert (EXIT_NEEDS_ATTENTION, 0, 0) == (code, status_code, json_code)
    assert "squad: 0 sent, 0 skipped, 0 failed, 2 outcome unknown via outbox" in printed
    assert settle in printed.splitlines()
    assert settle == status.splitlines()[0]
    assert '"step": "needs attention"' in document and '"unknown_outcomes": 2' in document

    [notice] = read_outbox(outbox)
    text = body_text(notice)
    assert ("Needs attention: Monthly KPI report for October 2026", OWNER.email) == (
        notice["Subject"],
        notice["To"].addresses[0].addr_spec,
    )
    assert "squad: 2" in text and "opsrhythm ledger unknown" in text
    assert f"opsrhythm ledger resolve {workflow_id} --mark-sent" in text
    assert 1 == len(kinds) and kinds[0].startswith("needs-attention-")


async def test_the_result_counts_unknown_outcomes(time_skipping_env: WorkflowEnvironment) -> None:
    """The result carries the count (also in its JSON), and the owner's notice lists it per
    audience with the workflow's own run id, so a re-run would tell the owner again."""
    env = time_skipping_env
    fakes = UnknownOutcomeFakes()
    task_queue = str(uuid.uuid4())
    async with Worker(
        env.client, task_queue=task_queue, workflows=[KpiReportWorkflow], activities=fakes.all()
    ):
        handle = await env.client.start_workflow(
            KpiReportWorkflow.run,
            KpiReportInput(ritual_id="monthly-kpi-report", period="2026-10"),
            id=f"monthly-kpi-report-{uuid.uuid4()}",
            task_queue=task_queue,
        )
        result = await handle.result()
    [notice] = fakes.attention
    assert (2, 2) == (result.unknown_outcomes, result.model_dump()["unknown_outcomes"])
    assert [(IN_DOUBT, 2)] == [(a.audience_id, a.count) for a in notice.unknown]
    assert (handle.id, handle.result_run_id) == (notice.workflow_id, notice.run_id)
