"""A run whose deliveries hold unknown outcomes never passes as plain success.

The report's workflow on a Temporal server, its gather and render faked, its send
leaving one audience in doubt as a worker killed mid-request would; the owner's notice goes
through the real email activity, ledger and outbox.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import json
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
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

import starter
from activities.email import EmailActivities
from opsrhythm.platform import resources
from opsrhythm.platform.cli import main_async
from opsrhythm.platform.config import EmailSettings
from opsrhythm.platform.ledger import MessageKey, SendLedger
from opsrhythm.platform.mail.notices import render_notice
from opsrhythm.platform.mail.outbox import OutboxTransport
from opsrhythm.platform.models import (
    DeliveryResult,
    NeedsAttentionInput,
    SendEmailInput,
    UnknownRecipient,
)
from opsrhythm.platform.run_handlers import EXIT_NEEDS_ATTENTION, start_run
from opsrhythm.rituals.kpi_report.kind import KPI_REPORT
from opsrhythm.rituals.kpi_report.models import KpiReportInput, KpiReportResult
from tests.databases import sqlite_url
from tests.test_cli_json import on_server
from tests.workflows.test_kpi_report import OWNER, FakeActivities
from workflows.kpi_report import KpiReportWorkflow
from workflows.outcome_settling import SETTLE_WAIT

SETTINGS = EmailSettings(from_email="ops@acme.test")
IN_DOUBT = "squad"
SINCE = datetime(2026, 11, 2, 9, tzinfo=UTC)
# A query every 0.1 s: a run reaches its wait within seconds, on any machine within a minute.
POLLS = 600


class UnknownOutcomeFakes(FakeActivities):
    """``send_email`` leaves every recipient of the squad's email in doubt for its first
    ``unknown_sends`` sends (None: always), then sends them; ``notice`` is the needs-attention
    activity (a recording fake unless one is given)."""

    def __init__(
        self, notice: Callable[..., Any] | None = None, unknown_sends: int | None = None
    ) -> None:
        super().__init__()
        self.attention: list[NeedsAttentionInput] = []
        self.squad_sends: list[SendEmailInput] = []
        self._notice = notice
        self._unknown_sends = unknown_sends

    def all(self) -> list[Callable[..., Any]]:
        kept = [a for a in super().all() if a.__name__ != "send_email"]

        @activity.defn(name="send_email")
        async def send_email(input: SendEmailInput) -> DeliveryResult:
            emails = [r.email for r in input.recipients]
            sent = DeliveryResult(
                audience_id=input.audience_id,
                message_kind=input.message_kind,
                transport="outbox",
                sent=emails,
            )
            if input.audience_id != IN_DOUBT:
                return sent
            self.squad_sends.append(input)
            if self._unknown_sends is not None and len(self.squad_sends) > self._unknown_sends:
                return sent
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


async def waiting_result(handle: WorkflowHandle[Any, Any]) -> KpiReportResult:
    """The run's result once it waits to be settled (no time passes while this polls)."""
    for _ in range(POLLS):
        pending = await handle.query(KpiReportWorkflow.pending_result)
        if pending is not None:
            return pending
        await asyncio.sleep(0.1)
    raise AssertionError(f"{handle.id} never waited to be settled")


async def settled_on_the_second_signal(
    env: WorkflowEnvironment, fakes: UnknownOutcomeFakes, workflow_id: str
) -> WorkflowHandle[Any, KpiReportResult]:
    """The squad's email stays in doubt after the first resend and goes on the second: the run
    waits, is signalled, waits again, is signalled, and finishes (``fakes`` with two unknown
    sends). Returns the finished run's handle."""
    task_queue = str(uuid.uuid4())
    async with Worker(
        env.client, task_queue=task_queue, workflows=[KpiReportWorkflow], activities=fakes.all()
    ):
        handle = await env.client.start_workflow(
            KpiReportWorkflow.run,
            KpiReportInput(ritual_id="monthly-kpi-report", period="2026-10"),
            id=workflow_id,
            task_queue=task_queue,
        )
        for sends in (1, 2):
            await waiting_result(handle)
            assert sends == len(fakes.squad_sends)
            await handle.signal(KpiReportWorkflow.outcomes_settled)
        await handle.result()
    return handle


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


def email_activities(outbox: Path, ledger: SendLedger) -> EmailActivities:
    """The real email activities (the owner's notice), into ``outbox``."""
    return EmailActivities(
        OutboxTransport(outbox, SETTINGS),
        lambda: ledger,
        SETTINGS,
        functools.partial(render_notice, templates_dir=resources.templates_dir()),
    )


async def cli(env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """One command on ``env``'s server; its stdout (exit 0 checked)."""
    code = await main_async(starter.commands(), argv, on_server(env))
    printed = capsys.readouterr()
    assert 0 == code, printed.err
    return printed.out


def hold_squad(ledger: SendLedger, fakes: UnknownOutcomeFakes) -> list[MessageKey]:
    """The squad's ledger rows left 'sending', as a killed request leaves them (the fake
    send_email never touches the ledger)."""
    first = fakes.squad_sends[0]
    keys = [
        MessageKey(first.workflow_id, IN_DOUBT, first.message_kind, r.email)
        for r in first.recipients
    ]
    ledger.claim(keys)
    return keys


@pytest.mark.dev_server
async def test_run_wait_returns_while_the_run_waits_and_resolve_finishes_it(
    dev_server_env: WorkflowEnvironment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`run --wait` prints the count, the commands and how long the run waits, and exits 3 while
    the run stays open; `status` lists it with its count; the owner gets one email naming the
    audience and the commands. `ledger resolve --resend` signals the run, which resends the
    squad's email and completes with no unknown outcome, telling nobody again."""
    env = dev_server_env
    outbox = tmp_path / "outbox"
    url = sqlite_url(tmp_path / "ledger.db")
    ledger = SendLedger.from_url(url)
    fakes = UnknownOutcomeFakes(email_activities(outbox, ledger).send_needs_attention_notice, 1)
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
            listed = await cli(env, capsys, "status", "--json")
            status = await cli(env, capsys, "status", workflow_id)
            document = await cli(env, capsys, "status", workflow_id, "--json")
            held = hold_squad(ledger, fakes)
            resolved = await cli(
                env, capsys, "ledger", "resolve", workflow_id, "--resend", "--database-url", url
            )
            handle = env.client.get_workflow_handle(workflow_id, result_type=KpiReportResult)
            result = await handle.result()
            step = await cli(env, capsys, "status", workflow_id)
        kinds = [row.message_kind for row in ledger_rows(ledger)]
        statuses = ledger.statuses(held)
    finally:
        ledger.close()

    settle = (
        f"{workflow_id}: needs attention: 2 recipient(s) with an unknown outcome; list them "
        "with 'opsrhythm ledger unknown', then settle with "
        f"'opsrhythm ledger resolve {workflow_id} --mark-sent' (or --resend)"
    )
    [run] = [r for r in json.loads(listed)["runs"] if r["workflow_id"] == workflow_id]
    assert EXIT_NEEDS_ATTENTION == code
    assert "squad: 0 sent, 0 skipped, 0 failed, 2 outcome unknown via outbox" in printed
    assert settle in printed.splitlines()
    assert f"{workflow_id} waits until " in printed and "to be settled" in printed
    assert ("needs attention", 2) == (run["step"], run["unknown_outcomes"])
    assert settle == status.splitlines()[0]
    assert '"step": "needs attention"' in document and '"unknown_outcomes": 2' in document
    assert [
        f"{workflow_id}: 2 recipient(s) released to be sent again",
        f"{workflow_id}: told the run: it sends the released recipients and finishes once no "
        "outcome is unknown",
    ] == resolved.splitlines()
    assert (0, None, 2) == (result.unknown_outcomes, result.waiting_until, len(fakes.squad_sends))
    assert f"{workflow_id}: done" == step.splitlines()[0]
    assert {"failed"} == set(statuses.values())  # released: the fake's resend kept no ledger

    [notice] = read_outbox(outbox)
    text = body_text(notice)
    assert ("Needs attention: Monthly KPI report for October 2026", OWNER.email) == (
        notice["Subject"],
        notice["To"].addresses[0].addr_spec,
    )
    assert "squad: 2" in text and "opsrhythm ledger unknown" in text
    assert f"opsrhythm ledger resolve {workflow_id} --mark-sent" in text
    assert "waits until" in text
    assert 1 == len([k for k in kinds if k.startswith("needs-attention-")])


def ledger_rows(ledger: SendLedger) -> list[Any]:
    with ledger.engine.connect() as conn:
        return list(conn.execute(ledger.table.select()).all())


async def test_a_run_nobody_settles_completes_after_the_wait(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Unsettled, the run finishes SETTLE_WAIT after it began to wait, as needing attention,
    with the count in its result (and its JSON); the owner was told once, with the run id."""
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
        waiting = await waiting_result(handle)
        result = await handle.result()
        described = await handle.describe()
    [notice] = fakes.attention
    assert waiting.waiting_until is not None and described.close_time is not None
    assert described.close_time >= waiting.waiting_until >= described.start_time + SETTLE_WAIT
    assert (2, 2, None) == (
        result.unknown_outcomes,
        result.model_dump()["unknown_outcomes"],
        result.waiting_until,
    )
    assert [(IN_DOUBT, 2)] == [(a.audience_id, a.count) for a in notice.unknown]
    assert (handle.id, handle.result_run_id) == (notice.workflow_id, notice.run_id)


async def test_each_signal_resends_only_what_is_still_unknown(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """A resend that leaves the squad in doubt keeps the run waiting; the next signal's resend
    settles it: three squad sends with the same archived email, the owner told once."""
    fakes = UnknownOutcomeFakes(unknown_sends=2)
    workflow_id = f"monthly-kpi-report-{uuid.uuid4()}"
    handle = await settled_on_the_second_signal(time_skipping_env, fakes, workflow_id)
    result = await handle.result()
    first, *again = fakes.squad_sends
    assert (0, ["emma@acme.example", "farid@acme.example"], 1) == (
        result.unknown_outcomes,
        next(d.sent for d in result.deliveries if d.audience_id == IN_DOUBT),
        len(fakes.attention),
    )
    assert [first, first] == again


async def test_resend_is_refused_once_the_run_has_completed(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After the wait, nothing would send released recipients: `--resend` exits 1 in one line
    and changes nothing; `--mark-sent` still records them as sent."""
    env = time_skipping_env
    fakes = UnknownOutcomeFakes()
    task_queue = str(uuid.uuid4())
    workflow_id = f"monthly-kpi-report-{uuid.uuid4()}"
    async with Worker(
        env.client, task_queue=task_queue, workflows=[KpiReportWorkflow], activities=fakes.all()
    ):
        await env.client.execute_workflow(
            KpiReportWorkflow.run,
            KpiReportInput(ritual_id="monthly-kpi-report", period="2026-10"),
            id=workflow_id,
            task_queue=task_queue,
        )
    url = sqlite_url(tmp_path / "ledger.db")
    ledger = SendLedger.from_url(url)
    try:
        held = hold_squad(ledger, fakes)
        argv = ["ledger", "resolve", workflow_id, "--database-url", url]
        refused = await main_async(starter.commands(), [*argv, "--resend"], on_server(env))
        err = capsys.readouterr().err
        before = set(ledger.statuses(held).values())
        marked = await cli(env, capsys, *argv, "--mark-sent")
        after = set(ledger.statuses(held).values())
    finally:
        ledger.close()
    assert (1, 1, {"sending"}, {"sent"}) == (refused, len(err.splitlines()), before, after)
    assert f"opsrhythm: refused: {workflow_id} completed at " in err and "--mark-sent" in err
    assert f"{workflow_id}: 2 recipient(s) recorded as sent\n" == marked
