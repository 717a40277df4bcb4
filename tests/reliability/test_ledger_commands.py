"""`opsrhythm ledger unknown` and `ledger resolve` on SQLite and PostgreSQL, and how `resolve`
treats the runs a Temporal server holds."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

import starter
from opsrhythm.platform.cli import main_async
from opsrhythm.platform.ledger import MessageKey, SendLedger
from opsrhythm.rituals.feedback.sla_models import SLA_WATCH_ID, SlaWatchInput
from opsrhythm.rituals.kpi_report.models import KpiReportInput
from tests.databases import postgres_schema, sqlite_url
from tests.test_cli_json import on_server
from workflows.feedback_sla import FeedbackSlaWorkflow
from workflows.kpi_report import KpiReportWorkflow

RUN = "monthly-kpi-report-2026-10"
OTHER = "monthly-kpi-report-2026-11"


def key(email: str, workflow_id: str = RUN) -> MessageKey:
    return MessageKey(workflow_id, "leadership", "report", email)


LEFT_SENDING = [key("ann@acme.test"), key("bob@acme.test"), key("cy@acme.test", OTHER)]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A ledger with three rows left 'sending' (two runs) and one sent."""

    def seeded(url: str) -> str:
        ledger = SendLedger.from_url(url)
        ledger.claim([*LEFT_SENDING, key("dee@acme.test")])
        ledger.mark_sent([key("dee@acme.test")])
        ledger.close()
        return url

    if request.param == "sqlite":
        yield seeded(sqlite_url(tmp_path / "ledger.db"))
        return
    with postgres_schema() as url:
        yield seeded(url)


def ledger_command(url: str, *argv: str) -> int:
    return starter.main(["ledger", *argv, "--database-url", url])


def statuses(url: str) -> list[str]:
    """The status of each of LEFT_SENDING's keys, in that order."""
    ledger = SendLedger.from_url(url)
    try:
        found = ledger.statuses(LEFT_SENDING)
    finally:
        ledger.close()
    return [found[key] for key in LEFT_SENDING]


def test_unknown_lists_every_row_left_sending_as_json(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json: run, audience, message kind, email and an ISO UTC time for each unknown row."""
    code = ledger_command(url, "unknown", "--json")
    rows = json.loads(capsys.readouterr().out)["unknown"]
    ann = {"workflow_id": RUN, "audience_id": "leadership", "message_kind": "report"}
    assert (0, ["ann@acme.test", "bob@acme.test", "cy@acme.test"], ann, True) == (
        code,
        sorted(row["email"] for row in rows),
        {name: rows[0][name] for name in ann},
        all(row["since"].endswith("Z") for row in rows),
    )


def test_unknown_prints_a_line_per_row_and_a_count(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The text form names each row and ends with how many there are."""
    code = ledger_command(url, "unknown")
    lines = capsys.readouterr().out.splitlines()
    assert (0, 4, "3 recipient(s) with an unknown outcome") == (code, len(lines), lines[-1])


def test_resolve_resend_releases_one_runs_rows(url: str) -> None:
    """--resend makes the run's rows claimable; the other run's row stays unknown."""
    code = ledger_command(url, "resolve", RUN, "--resend")
    assert (0, ["failed", "failed", "sending"]) == (code, statuses(url))


def test_resolve_mark_sent_settles_only_the_named_emails(url: str) -> None:
    """--mark-sent --email: that recipient is recorded as sent, the rest stay unknown."""
    code = ledger_command(url, "resolve", RUN, "--email", "Bob@acme.test", "--mark-sent")
    assert (0, ["sending", "sent", "sending"]) == (code, statuses(url))


def test_resolve_an_email_not_in_doubt_is_a_one_line_usage_error(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sent recipient named by mistake changes nothing and exits 2 with one line."""
    code = ledger_command(url, "resolve", RUN, "--email", "dee@acme.test", "--resend")
    err = capsys.readouterr().err
    assert (2, 1, ["sending", "sending", "sending"]) == (
        code,
        len(err.splitlines()),
        statuses(url),
    )


def test_resolve_a_run_with_nothing_unknown_exits_1(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run with no unknown rows is one line on stderr and exit 1."""
    code = ledger_command(url, "resolve", "no-such-run", "--mark-sent")
    assert (1, "opsrhythm: no-such-run has no recipient with an unknown outcome\n") == (
        code,
        capsys.readouterr().err,
    )


def test_resolve_needs_resend_or_mark_sent(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Neither flag (or both) is a usage error; nothing changes."""
    codes = (
        ledger_command(url, "resolve", RUN),
        ledger_command(url, "resolve", RUN, "--resend", "--mark-sent"),
    )
    assert ((2, 2), ["sending"] * 3) == (codes, statuses(url))


@pytest.mark.parametrize(
    ("workflow", "argument", "terminated"),
    [
        (FeedbackSlaWorkflow.run, SlaWatchInput(), False),
        (KpiReportWorkflow.run, KpiReportInput(ritual_id="monthly-kpi-report"), True),
    ],
    ids=["sla-watcher-running", "report-terminated"],
)
@pytest.mark.dev_server
async def test_resend_on_a_server_leaves_other_runs_to_send_as_before(
    dev_server_env: WorkflowEnvironment,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    workflow: Any,
    argument: Any,
    terminated: bool,
) -> None:
    """The SLA watcher (its next sweep sends released rows) and a report run that did not
    complete (a re-run does) are not runs waiting to be settled: --resend releases their rows
    and tells no run, in one line."""
    # The dev server: on the time-skipping one, a workflow task nobody polls (even once
    # terminated) stops time skipping for every later test.
    env = dev_server_env
    workflow_id = f"{SLA_WATCH_ID}-{uuid.uuid4().hex[:8]}"
    url = sqlite_url(tmp_path / "ledger.db")
    ledger = SendLedger.from_url(url)
    ledger.claim([key("ann@acme.test", workflow_id)])
    ledger.close()
    # No worker polls this queue: the server alone knows the run and its type.
    handle = await env.client.start_workflow(
        workflow, argument, id=workflow_id, task_queue=str(uuid.uuid4())
    )
    if terminated:
        await handle.terminate("a failed run")
    argv = ["ledger", "resolve", workflow_id, "--resend", "--database-url", url]
    try:
        code = await main_async(starter.commands(), argv, on_server(env))
    finally:
        with contextlib.suppress(RPCError):
            await handle.terminate("done")
    ledger = SendLedger.from_url(url)
    try:
        released = ledger.statuses([key("ann@acme.test", workflow_id)])
    finally:
        ledger.close()
    assert (0, [f"{workflow_id}: 1 recipient(s) released to be sent again"], ["failed"]) == (
        code,
        capsys.readouterr().out.splitlines(),
        list(released.values()),
    )
