"""Owner notices: one per run, and through the outbox and the webhook when email fails.

The report's workflow on the time-skipping server. The failure notice goes through the real
email activity and ledger; when that email cannot go (SendGrid refusing the account, the
ledger's database down), the real fallback activity writes the outbox and posts the webhook,
served by ``tests/json_stub.py``.
"""

from __future__ import annotations

import concurrent.futures
import functools
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

import starter
from activities.email import EmailActivities
from activities.owner_fallback import OwnerFallbackActivities
from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform import resources
from opsrhythm.platform.cli import main_async
from opsrhythm.platform.config import EmailSettings, Notify
from opsrhythm.platform.config_errors import ConfigError
from opsrhythm.platform.ledger import SendLedger
from opsrhythm.platform.mail.notices import OwnerNoticeInput, render_notice
from opsrhythm.platform.mail.outbox import OutboxTransport
from opsrhythm.platform.mail.sendgrid_transport import SendGridTransport
from opsrhythm.platform.models import (
    DeliveryResult,
    FailureNoticeInput,
    OwnerFallbackInput,
    UnknownRecipient,
)
from opsrhythm.platform.temporal_runtime import failure_message
from opsrhythm.rituals.kpi_report.models import KpiReportInput
from tests.databases import sqlite_url
from tests.fake_sendgrid import DEFAULT_API_KEY, FakeSendGrid
from tests.json_stub import json_endpoint
from tests.reliability.test_needs_attention import body_text, read_outbox
from tests.test_cli_json import on_server
from tests.workflows.test_kpi_report import OWNER, FakeActivities
from worker import build_worker
from workflows.kpi_report import KpiReportWorkflow

SETTINGS = EmailSettings(from_email="ops@acme.test")
WEBHOOK_ENV = "OPSRHYTHM_TEST_WEBHOOK_URL"
REVOKED = "The provided authorization grant is invalid, expired, or revoked"
FAILED_SUBJECT = "Failed: Monthly KPI report for October 2026"
OWNER_ANA = "ana.silva@acme.example"  # the example ritual's owner
NOTICE = FailureNoticeInput(
    workflow_id="monthly-kpi-report-2026-10",
    run_id="run-1",
    ritual_id="monthly-kpi-report",
    ritual_name="Monthly KPI report",
    period="2026-10",
    owner=OWNER,
    error="every data source failed",
    rerun_command="opsrhythm run monthly-kpi-report --period 2026-10 --wait",
)


class Webhook:
    """Records each POSTed JSON document and answers ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.posts: list[dict[str, Any]] = []

    def respond(self, request: BaseHTTPRequestHandler) -> tuple[int, Any]:
        length = int(request.headers.get("Content-Length") or 0)
        self.posts.append(json.loads(request.rfile.read(length)))
        return self.status, {"ok": self.status < 400}


@contextmanager
def webhook(status: int = 200) -> Iterator[tuple[Webhook, str]]:
    hook = Webhook(status)
    with json_endpoint(hook.respond, path="/hooks/opsrhythm") as url:
        yield hook, url


def notice_renderer() -> Callable[[OwnerNoticeInput], Any]:
    return functools.partial(render_notice, templates_dir=resources.templates_dir())


def failing_report(fakes: FakeActivities) -> list[Callable[..., Any]]:
    """The fakes' plan, gather, render and send: no fake notice."""
    return [a for a in fakes.all() if a.__name__ != "send_failure_notice"]


async def test_two_failed_runs_of_one_month_both_tell_the_owner(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """A re-run that fails again emails the owner again: a notice is once per run, not per id."""
    env = time_skipping_env
    outbox = tmp_path / "outbox"
    ledger = SendLedger.from_url(sqlite_url(tmp_path / "ledger.db"))
    email = EmailActivities(
        OutboxTransport(outbox, SETTINGS), lambda: ledger, SETTINGS, notice_renderer()
    )
    fakes = FakeActivities(failing_sources=["warehouse", "survey"])
    workflow_id = f"monthly-kpi-report-2026-10-{uuid.uuid4().hex[:8]}"
    task_queue = str(uuid.uuid4())
    try:
        async with Worker(
            env.client,
            task_queue=task_queue,
            workflows=[KpiReportWorkflow],
            activities=[*failing_report(fakes), email.send_failure_notice],
            activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=2),
        ):
            for _ in range(2):
                with pytest.raises(WorkflowFailureError):
                    await env.client.execute_workflow(
                        KpiReportWorkflow.run,
                        KpiReportInput(ritual_id="monthly-kpi-report", period="2026-10"),
                        id=workflow_id,
                        task_queue=task_queue,
                    )
        with ledger.engine.connect() as conn:
            rows = conn.execute(ledger.table.select()).all()
    finally:
        ledger.close()
    notices = read_outbox(outbox)
    assert [FAILED_SUBJECT] * 2 == [n["Subject"] for n in notices]
    assert {OWNER.email} == {n["To"].addresses[0].addr_spec for n in notices}
    assert (2, {"sent"}) == (len({row.message_kind for row in rows}), {r.status for r in rows})


async def test_sendgrid_refusing_the_account_fails_the_run_at_once_and_the_owner_hears_anyway(
    time_skipping_env: WorkflowEnvironment,
    example_config: OpsRhythmConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """SendGrid answers 401: each request is made once (no retries), the run's failure and
    `status` carry SendGrid's message, and the owner's notice, which SendGrid refuses too,
    lands in the outbox and on the webhook."""
    env = time_skipping_env
    config = example_config.model_copy(update={"notify": Notify(webhook_url_env=WEBHOOK_ENV)})
    audiences = len(config.rituals[0].audiences)
    outbox = tmp_path / "outbox"
    monkeypatch.setenv("OPSRHYTHM_OUTBOX", str(outbox))
    ledger = SendLedger.from_url(sqlite_url(tmp_path / "ledger.db"))
    workflow_id = f"monthly-kpi-report-2026-10-{uuid.uuid4().hex[:8]}"
    task_queue = str(uuid.uuid4())
    with FakeSendGrid() as sendgrid, webhook() as (hook, url):
        monkeypatch.setenv(WEBHOOK_ENV, url)
        for _ in range(audiences + 1):  # every report request, and the owner's notice
            sendgrid.fail_next(401, message=REVOKED)
        transport = SendGridTransport(DEFAULT_API_KEY, config.email, host=sendgrid.url)
        try:
            async with build_worker(
                env.client,
                config,
                task_queue=task_queue,
                transport=transport,
                ledger=ledger,
                archive_dir=tmp_path / "archive",
            ):
                with pytest.raises(WorkflowFailureError) as failed:
                    await env.client.execute_workflow(
                        KpiReportWorkflow.run,
                        KpiReportInput(ritual_id=config.rituals[0].id, period="2026-10"),
                        id=workflow_id,
                        task_queue=task_queue,
                    )
                capsys.readouterr()
                code = await main_async(starter.commands(), ["status", workflow_id], on_server(env))
        finally:
            ledger.close()
        requests = sendgrid.received
    status = capsys.readouterr().out.splitlines()[0]

    assert (audiences + 1, []) == (requests, sendgrid.deliveries())
    assert REVOKED in failure_message(failed.value)
    assert (0, True) == (code, status.startswith(f"{workflow_id}: failed: sending failed for"))
    assert f"SendGrid refused the email (401): {REVOKED}" in status
    [notice] = read_outbox(outbox)
    assert (FAILED_SUBJECT, OWNER_ANA) == (notice["Subject"], notice["To"].addresses[0].addr_spec)
    assert REVOKED in body_text(notice)
    [post] = hook.posts
    assert {"text"} == set(post)
    assert "Monthly KPI report for October 2026 failed" in post["text"]
    assert "opsrhythm run monthly-kpi-report --period 2026-10 --wait" in post["text"]


async def test_the_notice_reaches_the_outbox_when_the_ledger_database_is_down(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """The failure notice's email needs the ledger; with the database down the fallback, which
    needs neither, still leaves the notice in the outbox folder."""
    env = time_skipping_env
    outbox = tmp_path / "outbox"

    def database_down() -> SendLedger:
        raise ApplicationError("the database is down", type="DatabaseUnavailable")

    email = EmailActivities(
        OutboxTransport(outbox, SETTINGS), database_down, SETTINGS, notice_renderer()
    )
    fallback = OwnerFallbackActivities(outbox, SETTINGS, resources.templates_dir(), None)
    fakes = FakeActivities(failing_sources=["warehouse", "survey"])
    task_queue = str(uuid.uuid4())
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[KpiReportWorkflow],
        activities=[
            *failing_report(fakes),
            email.send_failure_notice,
            fallback.notify_owner_fallback,
        ],
        activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=2),
    ):
        with pytest.raises(WorkflowFailureError) as failed:
            await env.client.execute_workflow(
                KpiReportWorkflow.run,
                KpiReportInput(ritual_id="monthly-kpi-report", period="2026-10"),
                id=f"monthly-kpi-report-{uuid.uuid4()}",
                task_queue=task_queue,
            )
    [notice] = read_outbox(outbox)
    assert "every data source failed" in failure_message(failed.value)
    assert FAILED_SUBJECT == notice["Subject"]
    assert "the database is down" not in body_text(notice)  # the notice is about the run


async def test_a_notice_whose_outcome_is_unknown_also_takes_the_fallback(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """A notice email that may never have arrived (its request got no answer) is also left in
    the outbox: the owner may be told twice, never not at all."""
    env = time_skipping_env
    fallback = OwnerFallbackActivities(tmp_path, SETTINGS, resources.templates_dir(), None)

    @activity.defn(name="send_failure_notice")
    async def send_failure_notice(input: FailureNoticeInput) -> DeliveryResult:
        since = datetime(2026, 11, 2, 9, tzinfo=UTC)
        return DeliveryResult(
            audience_id="owner",
            message_kind="failure-notice",
            unknown=[UnknownRecipient(email=input.owner.email, since=since)],
        )

    fakes = FakeActivities(failing_sources=["warehouse", "survey"])
    task_queue = str(uuid.uuid4())
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[KpiReportWorkflow],
        activities=[*failing_report(fakes), send_failure_notice, fallback.notify_owner_fallback],
        activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=2),
    ):
        with pytest.raises(WorkflowFailureError):
            await env.client.execute_workflow(
                KpiReportWorkflow.run,
                KpiReportInput(ritual_id="monthly-kpi-report", period="2026-10"),
                id=f"monthly-kpi-report-{uuid.uuid4()}",
                task_queue=task_queue,
            )
    assert [FAILED_SUBJECT] == [n["Subject"] for n in read_outbox(tmp_path)]


@pytest.mark.parametrize(("status", "retryable"), [(404, False), (503, True)])
def test_a_failing_webhook_leaves_the_outbox_written(
    tmp_path: Path, status: int, retryable: bool
) -> None:
    """A 4xx from the webhook is final, a 5xx is Temporal's to retry; the .eml is written
    either way, and the error never quotes the URL (it holds the webhook's secret)."""
    with webhook(status) as (hook, url):
        fallback = OwnerFallbackActivities(tmp_path, SETTINGS, resources.templates_dir(), url)
        with pytest.raises(ApplicationError) as raised:
            ActivityEnvironment().run(
                fallback.notify_owner_fallback,
                OwnerFallbackInput(notice=NOTICE, email_error="SendGrid refused the email (401)"),
            )
    assert (f"the webhook answered {status}", retryable) == (
        raised.value.message.split(":")[0],
        not raised.value.non_retryable,
    )
    assert url not in str(raised.value)
    assert [FAILED_SUBJECT] == [n["Subject"] for n in read_outbox(tmp_path)]
    assert "SendGrid refused the email (401)" in hook.posts[0]["text"]


@pytest.mark.parametrize("value", [None, "  ", "hooks.example/abc"])
def test_a_missing_webhook_variable_stops_the_worker_in_one_line(
    time_skipping_env: WorkflowEnvironment,
    example_config: OpsRhythmConfig,
    monkeypatch: pytest.MonkeyPatch,
    value: str | None,
) -> None:
    """notify.webhook_url_env naming an unset (or non-URL) variable is refused at worker start,
    in one line naming the variable, rather than when a notice is due."""
    if value is None:
        monkeypatch.delenv(WEBHOOK_ENV, raising=False)
    else:
        monkeypatch.setenv(WEBHOOK_ENV, value)
    config = example_config.model_copy(update={"notify": Notify(webhook_url_env=WEBHOOK_ENV)})
    with pytest.raises(ConfigError) as refused:
        build_worker(time_skipping_env.client, config)
    assert (1, True) == (len(str(refused.value).splitlines()), WEBHOOK_ENV in str(refused.value))
