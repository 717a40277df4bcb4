"""The retro's config entry and its plan: people from persons and audiences, the format's
prompts, every window's end in UTC, and problems named by path; how run --wait and status show
a retro."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from temporalio.exceptions import ApplicationError

from activities.process_retro_plan import ProcessRetroPlanActivities
from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.actions.store import ActionStore
from opsrhythm.platform.models import DeliveryResult, FailedRecipient
from opsrhythm.rituals.process_retro.commands import print_result
from opsrhythm.rituals.process_retro.config import ProcessRetroRitual
from opsrhythm.rituals.process_retro.models import (
    PlanRetroInput,
    ProcessRetroResult,
    RetroCounts,
    RetroStatus,
)
from opsrhythm.rituals.process_retro.plan import retro_plan
from opsrhythm.rituals.process_retro.status import retro_json, retro_lines
from tests.test_config import problems_for

RETRO = "rituals.2"
OPENED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def the_retro(config: OpsRhythmConfig) -> ProcessRetroRitual:
    ritual = config.ritual("process-retro")
    assert isinstance(ritual, ProcessRetroRitual)
    return ritual


def test_the_example_retro_plan(example_config: OpsRhythmConfig) -> None:
    """Two squads and two people, each once; the summary to the participants (no audiences);
    start/stop/continue; each window after the one before; the reminder a day before
    collection closes; Ana facilitates."""
    plan = retro_plan(example_config, the_retro(example_config), "2026-W49", OPENED)
    assert [
        "emma.larsen@acme.example",
        "farid.haddad@acme.example",
        "grace.kim@acme.example",
        "isla.moreno@acme.example",
        "jonas.weber@acme.example",
    ] == [p.email for p in plan.participants]
    assert [p.email for p in plan.participants] == [r.email for r in plan.summary_recipients]
    assert (["start", "stop", "continue"], "Ana Silva") == (
        [p.prompt_id for p in plan.prompts],
        plan.facilitator.name,
    )
    assert [
        datetime(2026, 12, 1, 9, tzinfo=UTC),
        datetime(2026, 12, 4, 9, tzinfo=UTC),
        datetime(2026, 12, 4, 13, tzinfo=UTC),
        datetime(2026, 12, 5, 13, tzinfo=UTC),
        datetime(2026, 12, 6, 13, tzinfo=UTC),
    ] == [
        plan.action_review_closes_at,
        plan.collection_closes_at,
        plan.grouping_closes_at,
        plan.voting_closes_at,
        plan.actions_close_at,
    ]
    assert [datetime(2026, 12, 3, 9, tzinfo=UTC)] == plan.reminders_at
    assert (5, 3, "process_retro") == (plan.votes_per_person, plan.votes_per_group, plan.templates)


def test_audiences_get_the_summary_and_a_custom_format_its_prompts(
    example_config: OpsRhythmConfig,
) -> None:
    """With audiences, their members get the summary, not the participants; custom prompts
    are the config's own."""
    ritual = ProcessRetroRitual.model_validate(
        the_retro(example_config).model_dump()
        | {
            "audiences": ["leadership"],
            "format": "custom",
            "prompts": [{"id": "keep", "question": "What should we keep?"}],
        }
    )
    plan = retro_plan(example_config, ritual, "2026-W49", OPENED)
    assert ["ben.carter@acme.example", "chloe.dubois@acme.example", "dev.patel@acme.example"] == [
        r.email for r in plan.summary_recipients
    ]
    assert [("keep", "What should we keep?")] == [(p.prompt_id, p.question) for p in plan.prompts]


def test_the_plan_activity_refuses_an_unknown_ritual(example_config: OpsRhythmConfig) -> None:
    """A non-retryable error naming the known retros."""
    activities = ProcessRetroPlanActivities(example_config, open_store=_no_store)
    with pytest.raises(ApplicationError) as error:
        activities.plan_process_retro(
            PlanRetroInput(ritual_id="monthly-kpi-report", period="2026-W49", opened_at=OPENED)
        )
    assert ("unknown process retro 'monthly-kpi-report' (known: process-retro)", True) == (
        error.value.message,
        error.value.non_retryable,
    )


def _no_store() -> ActionStore:
    raise AssertionError("planning reads no action store")


def test_config_problems_are_named_by_path() -> None:
    """An unknown participant; custom without prompts; more dots per group than in all; a
    reminder outside collection; a sign-off block: each in one line at its path."""
    assert [
        "rituals[2].windows: reminders[0]: 3d before collection closes is not inside "
        "collection (3d)"
    ] == problems_for({f"{RETRO}.windows.reminders": ["3d"]})
    [problem] = problems_for({f"{RETRO}.format": "custom", f"{RETRO}.votes_per_group": 6})
    assert problem.endswith(
        "prompts: format custom needs at least one prompt; "
        "votes_per_group: 6 is more than votes_per_person (5)"
    )
    assert ["rituals[2].participants[1]: 'nobody' is neither a person nor an audience"] == (
        problems_for({f"{RETRO}.participants.1": "nobody"})
    )
    [problem] = problems_for({f"{RETRO}.approval": {"approvers": ["ben"]}})
    assert "approval: a process retro has no sign-off; remove it" in problem


def test_run_wait_and_status_show_counts_never_authors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The result's counts, summary and deliveries (exit 1 for a failed one); the status's
    stage, window, counts and earlier actions; its JSON without the plan."""
    result = ProcessRetroResult(
        workflow_id="process-retro-2026-W49",
        ritual_id="process-retro",
        period="2026-W49",
        stage="summary sent",
        counts=RetroCounts(items=7, participants=4, groups=3, votes=12, voters=4),
        summary_location="/archive/process-retro-2026-W49",
        deliveries=[
            DeliveryResult(
                audience_id="invite",
                message_kind="invite-r1",
                sent=["a@acme.example"],
                failed=[FailedRecipient(email="b@acme.example", error="HTTP 400")],
            )
        ],
    )
    assert 1 == print_result(result.model_dump(mode="json"))
    assert [
        "Retro for the cycle from 2026-11-30: summary sent",
        "  7 items from 4 participants, 3 themes, 12 votes",
        "  summary: /archive/process-retro-2026-W49",
        "  invite (invite-r1): 1 sent, 0 skipped, 1 failed",
        "    not sent to b@acme.example: HTTP 400",
    ] == capsys.readouterr().out.splitlines()
    status = RetroStatus(
        workflow_id="process-retro-2026-W49",
        ritual_id="process-retro",
        period="2026-W49",
        stage="voting",
        closes_at=datetime(2026, 12, 5, 13, tzinfo=UTC),
        counts=result.counts,
        open_actions_reviewed=2,
        open_actions_pending=1,
    )
    assert [
        "Retro process-retro 2026-W49: voting until 2026-12-05T13:00:00Z",
        "  items: 7 from 4 of 0 participants; themes: 3; votes: 12 from 4",
        "  earlier actions: 2 reported, 1 still open",
    ] == retro_lines(status)
    shown = retro_json(status)
    assert ("voting", 0, 1, False) == (
        shown["stage"],
        shown["participants"],
        shown["open_actions_pending"],
        "plan" in shown,
    )
