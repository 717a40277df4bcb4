"""The follow-up of an origin's actions on the time-skipping server, with the real activities
(store, send ledger, outbox): reminders 3 and 1 days before the due date and the overdue notice
to the owner and the ritual's owner, each once; a closed action stops them at once."""

from __future__ import annotations

import concurrent.futures
import functools
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal

import pytest
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from activities.actions import ActionActivities
from activities.email import EmailActivities
from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform import resources
from opsrhythm.platform.actions.follow_up import (
    ACTIONS_CHANGED_SIGNAL,
    ActionFollowUpInput,
    PlanActionNoticesInput,
    follow_up_workflow_id,
)
from opsrhythm.platform.actions.models import (
    ActionUpdate,
    ApplyActionUpdatesInput,
    ListOpenActionsInput,
)
from opsrhythm.platform.actions.reminders import due_notice
from opsrhythm.platform.actions.store import ActionStore
from opsrhythm.platform.db.schema import DatabaseUnreachable
from opsrhythm.platform.ledger import SendLedger
from opsrhythm.platform.mail.contract import MailTransport, MessageTags
from opsrhythm.platform.mail.notices import render_notice
from opsrhythm.platform.mail.outbox import OutboxTransport
from opsrhythm.platform.models import (
    SEND_UNDELIVERED_NOTICE,
    DeliveryResult,
    Recipient,
    RenderedEmail,
    UndeliveredNoticeInput,
)
from opsrhythm.platform.stores import DatabaseOutages
from tests.databases import sqlite_url
from tests.reliability.test_needs_attention import body_text, read_outbox
from workflows.action_follow_up import MAX_NOTICE_TRIES, ActionFollowUpWorkflow

ORIGIN = "monthly-kpi-report-2026-10"
EMMA, ANA = "emma.larsen@acme.example", "ana.silva@acme.example"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-12-07T13:59:00+00:00", (None, "2026-12-07T14:00:00+00:00")),
        ("2026-12-07T14:00:00+00:00", ("reminder-3d", "2026-12-09T14:00:00+00:00")),
        ("2026-12-09T15:00:00+00:00", ("reminder-1d", "2026-12-11T14:00:00+00:00")),
        ("2026-12-11T14:00:00+00:00", ("overdue", None)),
        ("2027-01-30T00:00:00+00:00", ("overdue", None)),
    ],
)
def test_notices_fall_due_at_nine_in_the_owners_timezone(
    now: str, expected: tuple[str | None, str | None]
) -> None:
    """Due 10 December in New York: 3 and 1 days before, then the day after, at 09:00 there."""
    kind, next_at = due_notice(date(2026, 12, 10), "America/New_York", datetime.fromisoformat(now))
    shown = next_at.astimezone(UTC).isoformat() if next_at else None
    assert expected == (kind, shown)


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[ActionStore, SendLedger]]:
    url = sqlite_url(tmp_path / "opsrhythm.db")
    store, ledger = ActionStore.from_url(url), SendLedger.from_url(url)
    yield store, ledger
    store.close()
    ledger.close()


@asynccontextmanager
async def follow_up_worker(
    env: WorkflowEnvironment,
    config: OpsRhythmConfig,
    stores: tuple[ActionStore, SendLedger],
    outbox: Path,
    open_store: Callable[[], ActionStore] | None = None,
    transport: MailTransport | None = None,
    told: list[UndeliveredNoticeInput] | None = None,
) -> AsyncIterator[str]:
    store, ledger = stores
    templates = resources.templates_dir()
    actions = ActionActivities(
        config, open_store or (lambda: store), lambda: ledger, templates, outbox.parent
    )
    email = EmailActivities(
        transport or OutboxTransport(outbox, config.email),
        lambda: ledger,
        config.email,
        functools.partial(render_notice, templates_dir=templates),
    )

    @activity.defn(name=SEND_UNDELIVERED_NOTICE.name)
    def tell_owner(notice: UndeliveredNoticeInput) -> DeliveryResult:
        (told if told is not None else []).append(notice)
        return email.send_undelivered_notice(notice)

    task_queue = str(uuid.uuid4())
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[ActionFollowUpWorkflow],
        activities=[
            actions.plan_action_notices,
            actions.render_action_notice,
            email.send_email,
            tell_owner,
        ],
        interceptors=[DatabaseOutages()],
        activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=4),
    ):
        yield task_queue


def add_action(store: ActionStore, origin: str, due: date) -> str:
    return store.add(
        origin=origin,
        ritual_id="monthly-kpi-report",
        period="2026-10",
        title="Fix the churn query",
        owner_email=EMMA,
        owner_name="Emma Larsen",
        due=due,
        actor="test",
    ).action_id


async def test_reminders_then_the_overdue_notice_each_once(
    time_skipping_env: WorkflowEnvironment,
    example_config: OpsRhythmConfig,
    stores: tuple[ActionStore, SendLedger],
    tmp_path: Path,
) -> None:
    """An action due in 5 days: its owner gets two reminders, then owner and ritual owner
    (Ana owns monthly-kpi-report) the overdue notice; the run then finishes."""
    env, outbox = time_skipping_env, tmp_path / "outbox"
    origin = f"{ORIGIN}-{uuid.uuid4().hex[:8]}"
    due = (await env.get_current_time()).date() + timedelta(days=5)
    action_id = add_action(stores[0], origin, due)
    async with follow_up_worker(env, example_config, stores, outbox) as task_queue:
        sent = await env.client.execute_workflow(
            ActionFollowUpWorkflow.run,
            ActionFollowUpInput(origin=origin),
            id=follow_up_workflow_id(origin),
            task_queue=task_queue,
        )
    messages = read_outbox(outbox)
    order = {"Reminder: due in 3 days": 0, "Reminder: due tomorrow": 1, "Overdue": 2}
    found = sorted(
        (order[str(m["Subject"]).rpartition(":")[0]], m["To"].addresses[0].addr_spec)
        for m in messages
    )
    assert (3, [(0, EMMA), (1, EMMA), (2, ANA), (2, EMMA)]) == (sent, found)
    assert all(f"opsrhythm actions done {action_id}" in body_text(m) for m in messages)


async def test_continued_runs_and_a_database_outage_send_each_notice_once(
    time_skipping_env: WorkflowEnvironment,
    example_config: OpsRhythmConfig,
    stores: tuple[ActionStore, SendLedger],
    tmp_path: Path,
) -> None:
    """One check per run (continued as new after each) and a store that is down for its
    first three openings: the same four emails, nobody's twice."""
    env, outbox = time_skipping_env, tmp_path / "outbox"
    origin = f"{ORIGIN}-{uuid.uuid4().hex[:8]}"
    add_action(stores[0], origin, (await env.get_current_time()).date() + timedelta(days=5))
    openings: list[int] = []

    def flaky_store() -> ActionStore:
        openings.append(1)
        if len(openings) <= 3:
            raise DatabaseUnreachable("cannot connect to the database sqlite:///x: down")
        return stores[0]

    async with follow_up_worker(env, example_config, stores, outbox, flaky_store) as task_queue:
        await env.client.execute_workflow(
            ActionFollowUpWorkflow.run,
            ActionFollowUpInput(origin=origin, checks_per_run=1),
            id=follow_up_workflow_id(origin),
            task_queue=task_queue,
        )
    subjects = sorted(str(m["Subject"]).partition(":")[0] for m in read_outbox(outbox))
    assert (["Overdue", "Overdue", "Reminder", "Reminder"], 4) == (subjects, len(openings))


class RefusesFirst:
    """The outbox, but the first email is refused for good (as SendGrid refuses a 400)."""

    name: Literal["outbox", "sendgrid"] = "outbox"

    def __init__(self, outbox: OutboxTransport) -> None:
        self._outbox, self.refused = outbox, 0

    def send(self, message: RenderedEmail, recipients: list[Recipient], tags: MessageTags) -> None:
        if not self.refused:
            self.refused += 1
            raise ApplicationError("400 Bad Request: refused", non_retryable=True)
        self._outbox.send(message, recipients, tags)


async def test_a_notice_refused_for_good_is_given_up_and_the_owner_told_once(
    time_skipping_env: WorkflowEnvironment,
    example_config: OpsRhythmConfig,
    stores: tuple[ActionStore, SendLedger],
    tmp_path: Path,
) -> None:
    """The 3-day reminder is refused for good (400): it is not tried again, the others still
    go, and the ritual's owner (Ana) is told once, naming the notice, the recipient and why."""
    env, outbox = time_skipping_env, tmp_path / "outbox"
    origin = f"{ORIGIN}-{uuid.uuid4().hex[:8]}"
    action_id = add_action(
        stores[0], origin, (await env.get_current_time()).date() + timedelta(days=5)
    )
    transport = RefusesFirst(OutboxTransport(outbox, example_config.email))
    told: list[UndeliveredNoticeInput] = []
    async with follow_up_worker(
        env, example_config, stores, outbox, transport=transport, told=told
    ) as task_queue:
        sent = await env.client.execute_workflow(
            ActionFollowUpWorkflow.run,
            ActionFollowUpInput(origin=origin),
            id=follow_up_workflow_id(origin),
            task_queue=task_queue,
        )
    messages = read_outbox(outbox)
    subjects = sorted(str(m["Subject"]).rpartition(":")[0] for m in messages)
    assert (1, 2, ["Not delivered", "Overdue", "Overdue", "Reminder: due tomorrow"]) == (
        transport.refused,
        sent,
        subjects,
    )
    assert [(ANA, f"reminder-3d of {action_id}", [EMMA])] == [
        (t.owner.email, t.label, [f.email for f in t.failed]) for t in told
    ]
    [notice] = [m for m in messages if str(m["Subject"]).startswith("Not delivered")]
    assert ANA == notice["To"].addresses[0].addr_spec
    assert "400 Bad Request" in body_text(notice) and EMMA in body_text(notice)


async def test_an_action_done_meanwhile_stops_its_reminders(
    time_skipping_env: WorkflowEnvironment,
    example_config: OpsRhythmConfig,
    stores: tuple[ActionStore, SendLedger],
    tmp_path: Path,
) -> None:
    """The command's signal wakes the run: it finishes at once, no timer fired, no email."""
    env, outbox = time_skipping_env, tmp_path / "outbox"
    origin = f"{ORIGIN}-{uuid.uuid4().hex[:8]}"
    due = (await env.get_current_time()).date() + timedelta(days=10)
    action_id = add_action(stores[0], origin, due)
    async with follow_up_worker(env, example_config, stores, outbox) as task_queue:
        handle = await env.client.start_workflow(
            ActionFollowUpWorkflow.run,
            ActionFollowUpInput(origin=origin),
            id=follow_up_workflow_id(origin),
            task_queue=task_queue,
        )
        stores[0].close_action(action_id, "done", actor="test")
        await handle.signal(ACTIONS_CHANGED_SIGNAL)
        sent = await handle.result()
    history = await handle.fetch_history()
    fired = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_TIMER_FIRED]
    assert (0, [], []) == (sent, read_outbox(outbox), fired)


def test_apply_action_updates_refuses_someone_elses_action(
    example_config: OpsRhythmConfig, stores: tuple[ActionStore, SendLedger], tmp_path: Path
) -> None:
    """Grace cannot close Emma's action through her status update; her own still changes."""
    store, ledger = stores
    emmas = add_action(store, ORIGIN, date(2026, 12, 10))
    graces = store.add(
        origin=ORIGIN,
        ritual_id="monthly-kpi-report",
        period="2026-10",
        title="Ship the price test",
        owner_email="grace.kim@acme.example",
        owner_name="Grace Kim",
        due=date(2026, 12, 10),
        actor="test",
    ).action_id
    actions = ActionActivities(
        example_config, lambda: store, lambda: ledger, resources.templates_dir(), tmp_path
    )
    result = ActivityEnvironment().run(
        actions.apply_action_updates,
        ApplyActionUpdatesInput(
            owner_email="grace.kim@acme.example",
            updates=[
                ActionUpdate(action_id=emmas, state="done"),
                ActionUpdate(action_id=graces, state="done", note="live"),
            ],
        ),
    )
    assert ([graces], [f"{emmas}: owned by someone else"], "open") == (
        result.applied,
        result.refused,
        store.get(emmas).state,
    )


def test_list_open_actions_gives_the_ritual_owners_open_ones(
    example_config: OpsRhythmConfig, stores: tuple[ActionStore, SendLedger], tmp_path: Path
) -> None:
    """What a kick-off lists: open actions of the ritual, any period, of the owners asked."""
    store, ledger = stores
    kept = add_action(store, ORIGIN, date(2026, 12, 10))
    closed = add_action(store, ORIGIN, date(2026, 12, 11))
    store.close_action(closed, "done", actor="test")
    actions = ActionActivities(
        example_config, lambda: store, lambda: ledger, resources.templates_dir(), tmp_path
    )
    asked = ListOpenActionsInput(ritual_id="monthly-kpi-report", owner_emails=[EMMA.upper()])
    other = ListOpenActionsInput(ritual_id="monthly-kpi-report", owner_emails=[ANA])
    found = ActivityEnvironment().run(actions.list_open_actions, asked).actions
    assert ([kept], []) == (
        [a.action_id for a in found],
        ActivityEnvironment().run(actions.list_open_actions, other).actions,
    )


def test_a_decision_is_listed_as_the_record_but_never_reminded(
    example_config: OpsRhythmConfig, stores: tuple[ActionStore, SendLedger], tmp_path: Path
) -> None:
    """A decision (kind 'decision') comes with the kick-off's open actions, as the record, but
    no notice is planned for it long after its date, and it keeps no follow-up running."""
    store, ledger = stores
    decision = store.add(
        origin=ORIGIN,
        ritual_id="monthly-kpi-report",
        period="2026-10",
        title="Pricing stays until Q2",
        owner_email=EMMA,
        owner_name="Emma Larsen",
        due=date(2026, 11, 2),
        actor="test",
        kind="decision",
    )
    actions = ActionActivities(
        example_config, lambda: store, lambda: ledger, resources.templates_dir(), tmp_path
    )
    asked = ListOpenActionsInput(ritual_id="monthly-kpi-report", owner_emails=[EMMA])
    listed = ActivityEnvironment().run(actions.list_open_actions, asked).actions
    plan = ActivityEnvironment().run(
        actions.plan_action_notices,
        PlanActionNoticesInput(origin=ORIGIN, now=datetime(2027, 1, 30, tzinfo=UTC)),
    )
    assert [(decision.action_id, "decision")] == [(a.action_id, a.kind) for a in listed]
    assert ([], 0, None) == (plan.due, plan.open_actions, plan.next_at)


class ThreeDayReminderDown:
    """The outbox, but the 3-day reminder always fails for a passing reason (a 503)."""

    name: Literal["outbox", "sendgrid"] = "outbox"

    def __init__(self, outbox: OutboxTransport) -> None:
        self._outbox, self.attempts = outbox, 0

    def send(self, message: RenderedEmail, recipients: list[Recipient], tags: MessageTags) -> None:
        if tags.custom_args["message"] == "action-reminder-3d":
            self.attempts += 1
            raise ApplicationError("503 Service Unavailable")
        self._outbox.send(message, recipients, tags)


async def test_a_notice_failing_every_check_is_given_up_after_its_tries(
    time_skipping_env: WorkflowEnvironment,
    example_config: OpsRhythmConfig,
    stores: tuple[ActionStore, SendLedger],
    tmp_path: Path,
) -> None:
    """A reminder that fails at every hourly check is given up after MAX_NOTICE_TRIES checks
    (the owner told once, with the count); the later notices still go."""
    env, outbox = time_skipping_env, tmp_path / "outbox"
    origin = f"{ORIGIN}-{uuid.uuid4().hex[:8]}"
    add_action(stores[0], origin, (await env.get_current_time()).date() + timedelta(days=5))
    transport = ThreeDayReminderDown(OutboxTransport(outbox, example_config.email))
    told: list[UndeliveredNoticeInput] = []
    async with follow_up_worker(
        env, example_config, stores, outbox, transport=transport, told=told
    ) as task_queue:
        sent = await env.client.execute_workflow(
            ActionFollowUpWorkflow.run,
            ActionFollowUpInput(origin=origin, checks_per_run=10),
            id=follow_up_workflow_id(origin),
            task_queue=task_queue,
        )
    # Ten checks a run: the count of tries is carried into each run continued as new.
    [notice] = told
    assert (2, [EMMA]) == (sent, [failure.email for failure in notice.failed])
    assert notice.failed[0].error.startswith("503 Service Unavailable")
    assert notice.failed[0].error.endswith(f"(failed {MAX_NOTICE_TRIES} times)")
