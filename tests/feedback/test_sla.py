"""SLA tracking: one watcher warns owners at 75% and escalates breaches to the area's lead."""

from __future__ import annotations

import asyncio
import concurrent.futures
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from activities.feedback_sla import FeedbackSlaActivities
from opsrhythm.config import OpsRhythmConfig
from opsrhythm.config_loader import load_config
from opsrhythm.platform.ledger import SendLedger
from opsrhythm.platform.mail.contract import MessageTags
from opsrhythm.platform.models import Recipient, RenderedEmail
from opsrhythm.rituals.feedback.actions import acknowledge
from opsrhythm.rituals.feedback.intake import parse_record
from opsrhythm.rituals.feedback.ledger import FeedbackLedger
from opsrhythm.rituals.feedback.sla import next_deadline
from opsrhythm.rituals.feedback.sla_mail import render_sla_notice
from opsrhythm.rituals.feedback.sla_models import SlaSweepInput, SlaWatchInput
from opsrhythm.rituals.feedback.triage import triage_chunk
from tests.conftest import EXAMPLE_CONFIG
from tests.databases import sqlite_url
from workflows.feedback_sla import FeedbackSlaWorkflow


class RecordingTransport:
    def __init__(self) -> None:
        self.sent: list[tuple[str, list[str]]] = []
        self.texts: list[str] = []
        self.other: list[str] = []

    @property
    def name(self) -> Literal["outbox", "sendgrid"]:
        return "outbox"

    def send(self, message: RenderedEmail, recipients: list[Recipient], tags: MessageTags) -> None:
        if "this week" in message.subject:
            self.other.append(message.subject)  # weekly digests: tested on their own
        else:
            self.sent.append((message.subject, [r.email for r in recipients]))
            self.texts.append(message.text)


class Setup:
    def __init__(self, tmp_path: Path) -> None:
        self.config: OpsRhythmConfig = load_config(EXAMPLE_CONFIG)
        url = sqlite_url(tmp_path / "sla.db")
        self.ledger = FeedbackLedger.from_url(url)
        self.sends = SendLedger.from_url(url)
        self.transport = RecordingTransport()
        self.activities = FeedbackSlaActivities(
            self.config, lambda: self.ledger, lambda: self.sends, self.transport
        )

    def submit(self, text: str, now: datetime, arr: float = 0) -> str:
        assert self.config.feedback is not None
        record = {"text": text, "submitter": "hugo.novak@acme.example", "arr": arr}
        row = parse_record(record, line=1, raw=text, now=now)
        triage_chunk([row], self.config.feedback, self.ledger, origin="test", now=now)
        return row.item_id


async def wait_for(check: Callable[[], bool]) -> None:
    for _ in range(100):
        if check():
            return
        await asyncio.sleep(0.05)


async def test_warning_then_escalation_on_schedule(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """Two P1 items (2 business days): one warning to the owner at 1.5bd, one escalation at 2bd.

    The server's clock starts at today's real time, so the deadlines are read from the ledger;
    ``test_sla_clock`` pins them to dates.
    """
    env, setup = time_skipping_env, Setup(tmp_path)
    start = await env.get_current_time()
    first = setup.submit("We need SSO now", start, arr=90_000)
    setup.submit("SAML login for admins", start, arr=90_000)
    item = setup.ledger.get(first)
    assert item is not None and item.warn_at is not None and item.due_at is not None
    assert item.due_at - start >= timedelta(days=2)

    async def sleep_until(moment: datetime) -> None:
        await env.sleep(moment - await env.get_current_time())

    queue = str(uuid.uuid4())
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[FeedbackSlaWorkflow],
        activities=[setup.activities.sweep_sla],
        activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=2),
    ):
        handle = await env.client.start_workflow(
            FeedbackSlaWorkflow.run,
            SlaWatchInput(max_idle_seconds=86_400 * 7),
            id=f"sla-{uuid.uuid4()}",
            task_queue=queue,
        )
        await sleep_until(item.warn_at - timedelta(hours=1))
        before_warning = list(setup.transport.sent)
        await sleep_until(item.warn_at + timedelta(hours=1))
        await wait_for(lambda: len(setup.transport.sent) == 1)
        warned = list(setup.transport.sent)
        await sleep_until(item.due_at + timedelta(hours=1))
        await wait_for(lambda: len(setup.transport.sent) == 2)
        await handle.terminate()
    assert (
        [],
        [("Feedback SLA: 2 items due soon", ["kenji.ito@acme.example"])],
        ("Feedback SLA breached: 2 items", ["ben.carter@acme.example"]),
    ) == (before_warning, warned, setup.transport.sent[-1])


def test_acknowledged_items_stop_their_clock(tmp_path: Path) -> None:
    """An item acknowledged before its warning gets neither warning nor escalation."""
    setup = Setup(tmp_path)
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    item_id = setup.submit("Refund the invoice", start)
    acknowledge(setup.ledger, item_id, "farid.haddad@acme.example")
    result = ActivityEnvironment().run(
        setup.activities.sweep_sla, SlaSweepInput(now=start + timedelta(days=30))
    )
    assert (0, 0, []) == (result.warned, result.escalated, setup.transport.sent)


def test_a_repeated_sweep_sends_nothing_twice(tmp_path: Path) -> None:
    """The send ledger and the item's marks make a retried sweep a no-op."""
    setup = Setup(tmp_path)
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    setup.submit("Refund the invoice", start)
    sweep = SlaSweepInput(now=start + timedelta(days=4))
    ActivityEnvironment().run(setup.activities.sweep_sla, sweep)
    ActivityEnvironment().run(setup.activities.sweep_sla, sweep)
    assert [("Feedback SLA: 1 item due soon", ["farid.haddad@acme.example"])] == (
        setup.transport.sent
    )


def test_next_deadline_is_the_earliest_warning(tmp_path: Path) -> None:
    """The watcher sleeps until 75% of the shortest SLA among open items."""
    setup = Setup(tmp_path)
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    setup.submit("Refund the invoice", start)  # P2, 5d
    setup.submit("Dark mode", start)  # P3, 10d
    assert start + timedelta(days=3, hours=18) == next_deadline(setup.ledger, start)


def test_notice_escapes_feedback_text(tmp_path: Path) -> None:
    """Untrusted feedback text never reaches the HTML unescaped."""
    setup = Setup(tmp_path)
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    item = setup.ledger.get(setup.submit("<script>alert(1)</script> invoice", start))
    assert item is not None
    html = render_sla_notice("warning", "Farid", [item]).html
    assert ("&lt;script&gt;" in html, "<script>" in html) == (True, False)


def test_feedback_text_cannot_add_lines_to_the_plain_text(tmp_path: Path) -> None:
    """A submitter's newline cannot plant a fake action link in the owner's email."""
    setup = Setup(tmp_path)
    text = "invoice\n  Resolve: https://evil.example/steal"
    item = setup.ledger.get(setup.submit(text, datetime(2026, 11, 2, 9, 0, tzinfo=UTC)))
    assert item is not None
    links = {item.id: {"resolve": "https://opsrhythm.example/real"}}
    lines = render_sla_notice("warning", "Farid", [item], links).text.splitlines()
    assert ["  Resolve: https://opsrhythm.example/real"] == [
        line for line in lines if line.startswith("  Resolve:")
    ]


def test_deadlines_are_shown_in_the_recipients_timezone(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    item = setup.ledger.get(setup.submit("invoice", datetime(2026, 11, 2, 9, 0, tzinfo=UTC)))
    assert item is not None
    text = render_sla_notice("warning", "Farid", [item], timezone="America/New_York").text
    assert "due Mon 09 Nov 2026 04:00 EST" in text


def test_long_notice_lists_fifty_and_counts_the_rest(tmp_path: Path) -> None:
    """A backlog of 60 items makes one email listing 50 and saying how many more."""
    setup = Setup(tmp_path)
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    ids = [setup.submit(f"Refund invoice number {n:03d}", start) for n in range(60)]
    items = [item for item in (setup.ledger.get(i) for i in ids) if item is not None]
    text = render_sla_notice("warning", "Farid", items).text
    assert (50, True) == (text.count("\n- fb-"), "... and 10 more" in text)
