"""A KPI report to 3,002 people while SendGrid answers 30% of requests with 429, 500 or a timeout.

End to end: the real workflow and activities on the time-skipping server, the real SendGrid
transport, a SQLite ledger, the strict fake SendGrid. 429 and 500 are retried by Temporal (429
after X-RateLimit-Reset); a timeout is the fake recording the request and then answering too
late, so its batch stays 'sending' and is reported unknown, never resent, until an operator
settles it with `opsrhythm ledger resolve`.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

import starter
from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.cli import main_async
from opsrhythm.platform.ledger import SendLedger
from opsrhythm.platform.mail.sendgrid_transport import SendGridTransport
from opsrhythm.platform.run_handlers import EXIT_NEEDS_ATTENTION, start_run
from opsrhythm.rituals.kpi_report.commands import print_result
from opsrhythm.rituals.kpi_report.kind import KPI_REPORT
from opsrhythm.rituals.kpi_report.models import KpiReportInput, KpiReportResult
from tests.databases import sqlite_url
from tests.fake_sendgrid import DEFAULT_API_KEY, FakeSendGrid
from tests.reliability.crowd import CROWD_DOMAIN, with_crowd
from tests.test_cli_json import on_server
from worker import build_worker
from workflows.kpi_report import KpiReportWorkflow

SIZES = {"crowd-east": 1501, "crowd-west": 1501}
AUDIENCE = sum(SIZES.values())
# A seed that strikes this report with each kind of fault (the test checks that it does).
SEED = 140
# A 1,000-recipient request takes the fake under 0.1 s; 5 s keeps a slow machine from turning a
# normal answer into an unknown outcome, and the fake holds a timed-out answer far longer.
CLIENT_TIMEOUT = 5.0


@pytest.fixture
def sendgrid() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as server:
        server.faults(rate=0.3, kinds=("429", "500", "timeout"), seed=SEED, hold=120)
        yield server


def worker_for(
    env: WorkflowEnvironment,
    config: OpsRhythmConfig,
    sendgrid: FakeSendGrid,
    ledger: SendLedger,
    tmp_path: Path,
    task_queue: str,
    client_timeout: float = CLIENT_TIMEOUT,
) -> Worker:
    transport = SendGridTransport(
        DEFAULT_API_KEY, config.email, host=sendgrid.url, timeout_seconds=client_timeout
    )
    return build_worker(
        env.client,
        config,
        task_queue=task_queue,
        transport=transport,
        ledger=ledger,
        archive_dir=tmp_path / "archive",
    )


async def run_report(
    env: WorkflowEnvironment,
    config: OpsRhythmConfig,
    sendgrid: FakeSendGrid,
    ledger_url: str,
    tmp_path: Path,
    workflow_id: str,
) -> KpiReportResult:
    task_queue = str(uuid.uuid4())
    ledger = SendLedger.from_url(ledger_url)
    try:
        async with worker_for(env, config, sendgrid, ledger, tmp_path, task_queue):
            return await env.client.execute_workflow(
                KpiReportWorkflow.run,
                KpiReportInput(ritual_id=config.rituals[0].id, period="2026-10"),
                id=workflow_id,
                task_queue=task_queue,
            )
    finally:
        ledger.close()


def ledger_statuses(url: str, workflow_id: str) -> Counter[str]:
    """How many of the run's report rows are in each state."""
    ledger = SendLedger.from_url(url)
    t = ledger.table
    try:
        with ledger.engine.connect() as conn:
            rows = conn.execute(
                t.select().where(t.c.workflow_id == workflow_id, t.c.message_kind == "report")
            ).all()
    finally:
        ledger.close()
    return Counter(row.status for row in rows)


def crowd_deliveries(
    sendgrid: FakeSendGrid,
) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    """Emails each crowd member got, and every (recipient, subject) sent to anyone else."""
    crowd: Counter[str] = Counter()
    others: Counter[tuple[str, str]] = Counter()
    for email, subject in sendgrid.deliveries():
        if email.endswith(CROWD_DOMAIN):
            crowd[email] += 1
        else:
            others[email, subject] += 1
    return crowd, others


async def test_every_recipient_is_emailed_once_and_counted_through_faults(
    time_skipping_env: WorkflowEnvironment,
    example_config: OpsRhythmConfig,
    sendgrid: FakeSendGrid,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Sent plus unknown is everyone, nobody skipped or twice; the timed-out batches are the
    unknown ones, and after `ledger resolve --mark-sent` a re-run sends nothing and counts all."""
    config = with_crowd(example_config, SIZES)
    url = sqlite_url(tmp_path / "ledger.db")
    workflow_id = f"monthly-kpi-report-2026-10-{uuid.uuid4().hex[:8]}"

    result = await run_report(time_skipping_env, config, sendgrid, url, tmp_path, workflow_id)

    injected = sendgrid.injected()
    timed_out = {email for f in injected if f.kind == "timeout" for email in f.recipients}
    delivered, owner_mail = crowd_deliveries(sendgrid)
    unknown = {r.email for d in result.deliveries for r in d.unknown}
    sent = [email for d in result.deliveries for email in d.sent]
    assert {"429", "500", "timeout"} == {fault.kind for fault in injected}
    assert (AUDIENCE, {1}) == (len(delivered), set(delivered.values()))
    # The run needs attention: its owner, and nobody else, hears of it once.
    owner = config.person(config.rituals[0].owner).email
    assert [(owner, 1)] == [(to, count) for (to, _), count in owner_mail.items()]
    assert (timed_out, AUDIENCE - len(timed_out), len(set(sent))) == (unknown, len(sent), len(sent))
    assert ([], []) == (
        [r for d in result.deliveries for r in d.skipped],
        [r for d in result.deliveries for r in d.failed],
    )
    print_result(result)
    lines = [line.strip() for line in capsys.readouterr().out.splitlines()]
    for delivery in result.deliveries:
        expected = (
            f"{delivery.audience_id}: {len(delivery.sent)} sent, 0 skipped, 0 failed"
            + (f", {len(delivery.unknown)} outcome unknown" if delivery.unknown else "")
            + " via sendgrid"
        )
        assert expected in lines
    assert Counter(sent=len(sent), sending=len(unknown)) == ledger_statuses(url, workflow_id)

    assert 0 == starter.main(["ledger", "unknown", "--json", "--database-url", url])
    listed = json.loads(capsys.readouterr().out)["unknown"]
    assert unknown == {row["email"] for row in listed if row["workflow_id"] == workflow_id}

    # The fake's log is the provider's activity feed: the unknown ones did get it.
    code = await main_async(
        starter.commands(),
        ["ledger", "resolve", workflow_id, "--mark-sent", "--database-url", url],
        on_server(time_skipping_env),
    )
    assert (0, Counter(sent=AUDIENCE)) == (code, ledger_statuses(url, workflow_id))
    requests = sendgrid.received
    sendgrid.faults(rate=0)
    again = await run_report(time_skipping_env, config, sendgrid, url, tmp_path, workflow_id)
    delivered, owner_mail_after = crowd_deliveries(sendgrid)
    assert (requests, AUDIENCE, [], (AUDIENCE, {1}), owner_mail) == (
        sendgrid.received,
        len({email for d in again.deliveries for email in d.sent}),
        [r for d in again.deliveries for r in d.unknown],
        (len(delivered), set(delivered.values())),
        owner_mail_after,
    )


@pytest.mark.dev_server
async def test_resend_after_a_lost_request_reaches_the_recipients(
    dev_server_env: WorkflowEnvironment, example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """A request SendGrid never got: `run --wait` exits 3 while the run waits to be settled;
    `ledger resolve --resend` tells the run, which emails them once (the same archived report,
    no second gathering, no second owner notice); `run --wait` then joins it and exits 0."""
    ritual_id = f"faults-{uuid.uuid4().hex[:8]}"
    crowd = with_crowd(example_config, {"crowd-solo": 3})
    config = crowd.model_copy(
        update={"rituals": [crowd.rituals[0].model_copy(update={"id": ritual_id})]}
    )
    url = sqlite_url(tmp_path / "ledger.db")
    ledger = SendLedger.from_url(url)
    task_queue = str(uuid.uuid4())
    with FakeSendGrid() as sendgrid:
        sendgrid.delay_next(120, record=False)  # the report's request is lost on the way
        try:
            # One request of 3 recipients: 2 s is still a hundred times what it takes.
            worker = worker_for(dev_server_env, config, sendgrid, ledger, tmp_path, task_queue, 2)
            async with worker:
                run = partial(
                    start_run,
                    dev_server_env.client,
                    KPI_REPORT,
                    ritual_id,
                    "2026-10",
                    wait=True,
                    task_queue=task_queue,
                )
                first = await run()
                resolved = await main_async(
                    starter.commands(),
                    [
                        "ledger",
                        "resolve",
                        f"{ritual_id}-2026-10",
                        "--resend",
                        "--database-url",
                        url,
                    ],
                    on_server(dev_server_env),
                )
                again = await run()
            history = await dev_server_env.client.get_workflow_handle(
                f"{ritual_id}-2026-10"
            ).fetch_history()
        finally:
            ledger.close()
        delivered, owner_mail = crowd_deliveries(sendgrid)
    activities = Counter(
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
    )
    assert (EXIT_NEEDS_ATTENTION, 0, 0, (3, {1}), [1]) == (
        first,
        resolved,
        again,
        (len(delivered), set(delivered.values())),
        list(owner_mail.values()),
    )
    assert (len(config.sources), 1, 2, 1) == (
        activities["gather_source"],
        activities["render_report"],
        activities["send_email"],
        activities["send_needs_attention_notice"],
    )
