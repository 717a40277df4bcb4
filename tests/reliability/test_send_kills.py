"""A worker killed mid-send: only the batch in flight is left in doubt, and the rest go once.

Recipients are claimed one request batch at a time, just before that request, so a kill (which
no ``except`` block sees) can leave at most the batch it interrupted in 'sending'.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities
from opsrhythm.platform.config import EmailSettings
from opsrhythm.platform.ledger import SendLedger
from opsrhythm.platform.mail.contract import MailTransport, MessageTags
from opsrhythm.platform.mail.notices import OwnerNoticeInput
from opsrhythm.platform.mail.sendgrid_transport import SendGridTransport
from opsrhythm.platform.models import (
    DeliveryResult,
    Recipient,
    RenderedEmail,
    SendEmailInput,
)
from tests.conftest import REPO
from tests.databases import sqlite_url
from tests.fake_sendgrid import DEFAULT_API_KEY, FakeSendGrid

SETTINGS = EmailSettings(from_email="ops@acme.test")
AUDIENCE = 3002
BATCH = 1000


def render_notice(notice: OwnerNoticeInput) -> RenderedEmail:
    return RenderedEmail(subject="failed", html="<p>failed</p>", text="failed")


class KilledAfter:
    """Delivers ``requests`` requests through ``transport``, then dies as a kill would."""

    def __init__(self, transport: MailTransport, requests: int, death: BaseException) -> None:
        self.name = transport.name
        self._transport = transport
        self._left = requests
        self._death = death

    def send(self, message: RenderedEmail, recipients: list[Recipient], tags: MessageTags) -> None:
        if self._left == 0:
            raise self._death
        self._left -= 1
        self._transport.send(message, recipients, tags)


@pytest.fixture
def server() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as server:
        yield server


@pytest.fixture
def ledger_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "ledger.db")


@pytest.fixture
def send_input(tmp_path: Path) -> SendEmailInput:
    path = tmp_path / "report.json"
    path.write_text(RenderedEmail(subject="KPIs", html="<p>Up.</p>", text="Up.").model_dump_json())
    return SendEmailInput(
        workflow_id="monthly-kpi-report-2026-10",
        ritual_id="monthly-kpis",
        period="2026-10",
        audience_id="everyone",
        message_kind="report",
        message_path=str(path),
        recipients=[Recipient(name=f"P {i}", email=f"p{i}@acme.test") for i in range(AUDIENCE)],
    )


def sendgrid(server: FakeSendGrid) -> SendGridTransport:
    return SendGridTransport(DEFAULT_API_KEY, SETTINGS, host=server.url, timeout_seconds=30)


def run(transport: MailTransport, url: str, input: SendEmailInput) -> DeliveryResult:
    ledger = SendLedger.from_url(url)
    try:
        activities = EmailActivities(transport, lambda: ledger, SETTINGS, render_notice)
        return ActivityEnvironment().run(activities.send_email, input)
    finally:
        ledger.close()


def statuses(url: str) -> Counter[str]:
    ledger = SendLedger.from_url(url)
    try:
        with ledger.engine.connect() as conn:
            rows = conn.execute(ledger.table.select()).all()
    finally:
        ledger.close()
    return Counter(row.status for row in rows)


@pytest.mark.parametrize("death", [KeyboardInterrupt(), SystemExit(137)], ids=["int", "exit"])
def test_a_kill_between_batches_leaves_one_batch_in_doubt(
    server: FakeSendGrid, ledger_url: str, send_input: SendEmailInput, death: BaseException
) -> None:
    """Killed after request 1 of 4: batch 2 is 'sending', batches 3 and 4 were never claimed."""
    with pytest.raises(type(death)):
        run(KilledAfter(sendgrid(server), 1, death), ledger_url, send_input)
    assert Counter(sent=BATCH, sending=BATCH) == statuses(ledger_url)


def test_a_rerun_after_a_kill_sends_the_rest_exactly_once(
    server: FakeSendGrid, ledger_url: str, send_input: SendEmailInput
) -> None:
    """The re-run sends batches 3 and 4, reports batch 1 sent and batch 2 unknown; nobody twice."""
    with pytest.raises(KeyboardInterrupt):
        run(KilledAfter(sendgrid(server), 1, KeyboardInterrupt()), ledger_url, send_input)
    result = run(sendgrid(server), ledger_url, send_input)
    delivered = Counter(email for email, _ in server.deliveries())
    assert (AUDIENCE - BATCH, BATCH, AUDIENCE - BATCH, {1}) == (
        len(result.sent),
        len(result.unknown),
        len(delivered),
        set(delivered.values()),
    )


def test_resending_the_batch_in_doubt_completes_the_audience_once(
    server: FakeSendGrid, ledger_url: str, send_input: SendEmailInput
) -> None:
    """After `ledger resolve --resend`, a third run sends batch 2: everyone exactly once."""
    with pytest.raises(KeyboardInterrupt):
        run(KilledAfter(sendgrid(server), 1, KeyboardInterrupt()), ledger_url, send_input)
    run(sendgrid(server), ledger_url, send_input)
    ledger = SendLedger.from_url(ledger_url)
    ledger.resolve(send_input.workflow_id, None, resend=True, note="test")
    ledger.close()
    final = run(sendgrid(server), ledger_url, send_input)
    delivered = Counter(email for email, _ in server.deliveries())
    assert (AUDIENCE, 0, AUDIENCE, {1}) == (
        len(set(final.sent)),
        len(final.unknown),
        len(delivered),
        set(delivered.values()),
    )


CHILD = """
import sys
from pathlib import Path
from opsrhythm.platform.models import SendEmailInput
from tests.reliability.test_send_kills import SETTINGS, run
from opsrhythm.platform.mail.sendgrid_transport import SendGridTransport
from tests.fake_sendgrid import DEFAULT_API_KEY

host, url, payload = sys.argv[1:4]
transport = SendGridTransport(DEFAULT_API_KEY, SETTINGS, host=host, timeout_seconds=60)
run(transport, url, SendEmailInput.model_validate_json(Path(payload).read_text()))
"""


def test_a_sigkilled_worker_leaves_only_its_request_in_doubt(
    server: FakeSendGrid, ledger_url: str, send_input: SendEmailInput, tmp_path: Path
) -> None:
    """SIGKILL while request 2 is in flight; a re-run sends batches 3 and 4, each person once."""
    payload = tmp_path / "input.json"
    payload.write_text(send_input.model_dump_json())
    server.delay_next(60, after=1)  # request 2 is taken, then held open until the kill
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, server.url, ledger_url, str(payload)],
        cwd=REPO,
        env=environment,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while len(server.delivered_requests()) < 2:
            assert child.poll() is None, child.stderr.read() if child.stderr else b""
            assert time.monotonic() < deadline, "request 2 never arrived"
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        if child.stderr:
            child.stderr.close()
    assert Counter(sent=BATCH, sending=BATCH) == statuses(ledger_url)
    result = run(sendgrid(server), ledger_url, send_input)
    delivered = Counter(email for email, _ in server.deliveries())
    assert (AUDIENCE - BATCH, BATCH, AUDIENCE, {1}) == (
        len(result.sent),
        len(result.unknown),
        len(delivered),
        set(delivered.values()),
    )
