"""Email activities: every recipient once, across retries, replays and partial failures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities
from opsrhythm.platform.config import EmailSettings
from opsrhythm.platform.ledger import MessageKey, SendLedger
from opsrhythm.platform.mail.notices import OwnerNoticeInput
from opsrhythm.platform.mail.outbox import OutboxTransport
from opsrhythm.platform.mail.sendgrid_transport import SendGridTransport
from opsrhythm.platform.models import (
    DeliveryResult,
    FailureNoticeInput,
    Recipient,
    RenderedEmail,
    SendEmailInput,
)
from tests.databases import sqlite_url
from tests.fake_sendgrid import DEFAULT_API_KEY, FakeSendGrid

SETTINGS = EmailSettings(from_email="ops@acme.test")
WORKFLOW_ID = "monthly-kpi-report-2026-10"
OWNER = Recipient(name="Olive Owner", email="olive@acme.test")


def render_notice(notice: OwnerNoticeInput) -> RenderedEmail:
    assert isinstance(notice, FailureNoticeInput)
    return RenderedEmail(
        subject=f"{notice.ritual_name} failed for {notice.period}",
        html=f"<p>{notice.error}</p>",
        text=f"{notice.error}\nRe-run: {notice.rerun_command}",
    )


NOTICE = FailureNoticeInput(
    workflow_id=WORKFLOW_ID,
    ritual_id="monthly-kpis",
    ritual_name="Monthly KPIs",
    period="2026-10",
    owner=OWNER,
    error="warehouse unreachable",
    rerun_command="opsrhythm run monthly-kpis --period 2026-10",
)


def people(count: int) -> list[Recipient]:
    return [Recipient(name=f"Person {i}", email=f"p{i}@acme.test") for i in range(count)]


@pytest.fixture
def server() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as server:
        yield server


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[SendLedger]:
    ledger = SendLedger.from_url(sqlite_url(tmp_path / "ledger.db"))
    yield ledger
    ledger.close()


# Generous: a 1000-recipient request on a busy machine must not pass for an unknown outcome.
TIMEOUT_SECONDS = 30.0


def email_activities(
    server: FakeSendGrid, ledger: SendLedger, timeout_seconds: float = TIMEOUT_SECONDS
) -> EmailActivities:
    transport = SendGridTransport(
        DEFAULT_API_KEY, SETTINGS, host=server.url, timeout_seconds=timeout_seconds
    )
    return EmailActivities(transport, lambda: ledger, SETTINGS, render_notice)


@pytest.fixture
def activities(server: FakeSendGrid, ledger: SendLedger) -> EmailActivities:
    return email_activities(server, ledger)


@pytest.fixture
def message_path(tmp_path: Path) -> Path:
    path = tmp_path / "leadership.json"
    email = RenderedEmail(subject="KPI report: October 2026", html="<p>Up.</p>", text="Up.")
    path.write_text(email.model_dump_json())
    return path


def send_input(message_path: Path, recipients: list[Recipient]) -> SendEmailInput:
    return SendEmailInput(
        workflow_id=WORKFLOW_ID,
        ritual_id="monthly-kpis",
        period="2026-10",
        audience_id="leadership",
        message_kind="report",
        message_path=str(message_path),
        recipients=recipients,
    )


def send(activities: EmailActivities, input: SendEmailInput) -> DeliveryResult:
    return ActivityEnvironment().run(activities.send_email, input)


def attempt(activities: EmailActivities, input: SendEmailInput) -> ApplicationError:
    """Run an attempt expected to fail, as Temporal would before retrying it."""
    with pytest.raises(ApplicationError) as raised:
        send(activities, input)
    return raised.value


def test_every_recipient_is_sent_the_email(
    activities: EmailActivities, server: FakeSendGrid, message_path: Path
) -> None:
    """All recipients are reported sent and reached SendGrid."""
    result = send(activities, send_input(message_path, people(3)))
    emails = [f"p{i}@acme.test" for i in range(3)]
    assert (emails, emails) == (result.sent, [email for email, _ in server.deliveries()])


def test_the_request_is_tagged_with_the_ritual_and_run(
    activities: EmailActivities, server: FakeSendGrid, message_path: Path
) -> None:
    """Categories and custom_args name the ritual, period, audience, run and message."""
    send(activities, send_input(message_path, people(1)))
    body = server.delivered_requests()[0]
    expected_args = {
        "ritual": "monthly-kpis",
        "period": "2026-10",
        "audience": "leadership",
        "workflow_id": WORKFLOW_ID,
        "message": "report",
    }
    assert ({"opsrhythm", "monthly-kpis"}, expected_args) == (
        set(body["categories"]),
        body["custom_args"],
    )


def test_a_replayed_send_reports_everyone_sent_and_emails_nobody(
    activities: EmailActivities, server: FakeSendGrid, message_path: Path
) -> None:
    """Running the same send again makes no request; its result still counts the whole run."""
    input = send_input(message_path, people(3))
    send(activities, input)
    again = send(activities, input)
    emails = [f"p{i}@acme.test" for i in range(3)]
    assert (emails, [], [], 1) == (again.sent, again.skipped, again.unknown, server.received)


def test_a_retry_after_a_failed_batch_sends_only_the_rest(
    activities: EmailActivities, server: FakeSendGrid, message_path: Path
) -> None:
    """Batch 1 of 3 lands, batch 2 hits a 500; the retry sends batches 2 and 3 only."""
    input = send_input(message_path, people(2500))
    server.fail_next(500, after=1)
    attempt(activities, input)
    before = len(server.deliveries())
    send(activities, input)
    delivered = [email for email, _ in server.deliveries()]
    assert (1000, 1500, 2500, 2500) == (
        before,
        len(delivered) - before,
        len(delivered),
        len(set(delivered)),
    )


def test_a_retried_send_counts_the_earlier_attempts_deliveries(
    activities: EmailActivities, server: FakeSendGrid, message_path: Path
) -> None:
    """After a failed batch, the retry's result says 2500 sent: the whole run, not its share."""
    input = send_input(message_path, people(2500))
    server.fail_next(500, after=1)
    attempt(activities, input)
    retry = send(activities, input)
    assert (2500, 0, 0, 0) == (
        len(set(retry.sent)),
        len(retry.skipped),
        len(retry.failed),
        len(retry.unknown),
    )


def test_an_unknown_outcome_is_reported_not_resent(
    server: FakeSendGrid, ledger: SendLedger, message_path: Path
) -> None:
    """A request that timed out after SendGrid took it is never sent again, only reported."""
    activities = email_activities(server, ledger, timeout_seconds=0.5)
    input = send_input(message_path, people(2))
    server.delay_next(3.0)
    attempt(activities, input)
    retry = send(activities, input)
    assert ([], [], ["p0@acme.test", "p1@acme.test"], 1) == (
        retry.sent,
        retry.skipped,
        [unknown.email for unknown in retry.unknown],
        len(server.delivered_requests()),
    )


def test_a_rejected_email_fails_permanently_and_can_be_sent_later(
    activities: EmailActivities, server: FakeSendGrid, ledger: SendLedger, message_path: Path
) -> None:
    """A 400 stops the activity without retry and releases the recipients for a re-run."""
    server.fail_next(400, message="Invalid from address")
    error = attempt(activities, send_input(message_path, people(1)))
    key = MessageKey(WORKFLOW_ID, "leadership", "report", "p0@acme.test")
    assert (True, {key: "failed"}) == (error.non_retryable, ledger.statuses([key]))


def test_progress_is_heartbeated_after_each_batch(
    activities: EmailActivities, message_path: Path
) -> None:
    """A long send heartbeats the number sent so far after every request."""
    beats: list[Any] = []
    environment = ActivityEnvironment()
    environment.on_heartbeat = lambda *details: beats.append(details[0])
    environment.run(activities.send_email, send_input(message_path, people(2500)))
    assert [1000, 2000, 2500] == beats


def test_a_missing_message_file_is_a_permanent_error(
    activities: EmailActivities, tmp_path: Path
) -> None:
    """A path with no rendered email fails without retry, naming the path."""
    error = attempt(activities, send_input(tmp_path / "gone.json", people(1)))
    assert (True, True) == (error.non_retryable, "gone.json" in str(error))


def test_the_failure_notice_reaches_the_owner_once(
    activities: EmailActivities, server: FakeSendGrid
) -> None:
    """The owner gets one notice per run, however often the activity runs."""
    first = ActivityEnvironment().run(activities.send_failure_notice, NOTICE)
    second = ActivityEnvironment().run(activities.send_failure_notice, NOTICE)
    assert (["olive@acme.test"], ["olive@acme.test"], 1) == (
        first.sent,
        second.sent,
        len(server.deliveries()),
    )


def test_the_failure_notice_is_tagged_for_the_owner(
    activities: EmailActivities, server: FakeSendGrid
) -> None:
    """The notice is filed under the 'owner' audience as a 'failure-notice' message."""
    ActivityEnvironment().run(activities.send_failure_notice, NOTICE)
    args = server.delivered_requests()[0]["custom_args"]
    assert ("owner", "failure-notice") == (args["audience"], args["message"])


def test_the_outbox_transport_works_through_the_activity(
    ledger: SendLedger, message_path: Path, tmp_path: Path
) -> None:
    """With the outbox, each recipient gets a file and the result names the transport."""
    outbox = OutboxTransport(tmp_path / "outbox", SETTINGS)
    activities = EmailActivities(outbox, lambda: ledger, SETTINGS, render_notice)
    result = send(activities, send_input(message_path, people(2)))
    assert ("outbox", 2) == (result.transport, len(list((tmp_path / "outbox").glob("*.eml"))))


def test_a_result_recorded_before_unknown_existed_still_decodes() -> None:
    """Histories from before the `unknown` field decode with an empty list."""
    old = '{"audience_id": "leadership", "message_kind": "report", "sent": ["a@acme.test"]}'
    assert [] == DeliveryResult.model_validate_json(old).unknown
