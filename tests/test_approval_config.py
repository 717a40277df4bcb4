"""A ritual's ``approval:`` block: its checks, and the plan a run takes from it."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from opsrhythm.config_loader import parse_config
from opsrhythm.platform.approvals.plan import approval_plan, reminder_offsets
from opsrhythm.platform.approvals.policy import describe_policy
from opsrhythm.platform.schedules.config import parse_duration
from tests.conftest import EXAMPLE_CONFIG
from tests.test_config import problems_for

DAY = 86_400


def with_approval(**approval: Any) -> str:
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    data["rituals"][0]["approval"] = approval
    return yaml.safe_dump(data, sort_keys=False)


def test_durations_add_up() -> None:
    """'1d12h' is a day and a half; '90m' an hour and a half."""
    assert (129_600, 5_400) == (
        parse_duration("1d12h").total_seconds(),
        parse_duration("90m").total_seconds(),
    )


def test_reminders_resolve_from_request_and_deadline() -> None:
    """Reminders count from the request or back from the deadline; impossible ones drop out."""
    offsets = reminder_offsets(["after 2d", "before 3d", "before 5d", "after 4d"], 4 * DAY)
    assert [DAY, 2 * DAY] == offsets


def test_plan_resolves_people_and_policy() -> None:
    """Approvers and the backup become names and emails; the owner asks by default."""
    text = with_approval(
        approvers=["dev", "chloe", "ana"],
        policy="all",
        veto=["chloe"],
        on_timeout="escalate",
        backup_approver="ben",
        deadline="2d",
    )
    config = parse_config(text, source="t.yaml", base_dir=EXAMPLE_CONFIG.parent)
    plan = approval_plan(config, config.rituals[0])
    assert plan is not None
    assert (
        ["dev.patel@acme.example", "chloe.dubois@acme.example", "ana.silva@acme.example"],
        2,
        "ana.silva@acme.example",
        ["chloe.dubois@acme.example"],
        "ben.carter@acme.example",
        [DAY],
    ) == (
        [a.email for a in plan.approvers],
        plan.required,
        plan.requester.email,
        plan.veto,
        plan.backup.email if plan.backup else None,
        plan.reminder_offsets_seconds,
    )


@pytest.mark.parametrize(
    ("approval", "expected"),
    [
        (
            {"approvers": ["dev", "nobody"]},
            "rituals[0].approval.approvers[1]: unknown person 'nobody'",
        ),
        (
            {"approvers": ["dev"], "veto": ["chloe"]},
            "rituals[0].approval.veto[0]: 'chloe' is not one of the approvers",
        ),
        (
            {"approvers": ["ana"]},
            "rituals[0].approval.approvers: needs someone besides the requester 'ana'",
        ),
        (
            {"approvers": ["dev"], "policy": "n_of_m"},
            "rituals[0].approval.required: required for policy n_of_m",
        ),
        (
            {"approvers": ["dev", "ana"], "policy": "n_of_m", "required": 2},
            "rituals[0].approval.required: 2 approvals needed but only 1 approvers",
        ),
        (
            {"approvers": ["dev"], "on_timeout": "escalate"},
            "rituals[0].approval.backup_approver: required when on_timeout is escalate",
        ),
        (
            {"approvers": ["dev"], "redraft_after": "0d"},
            "rituals[0].approval.redraft_after: must be longer than zero",
        ),
        (
            {"approvers": ["dev"], "deadline": "3 days"},
            "rituals[0].approval.deadline: String should match pattern",
        ),
        (
            {"approvers": ["dev"], "reminders": ["soon"]},
            "rituals[0].approval.reminders[0]: String should match pattern",
        ),
    ],
)
def test_approval_problems(approval: dict[str, Any], expected: str) -> None:
    """Unknown people, impossible quorums and missing settings are one line each, with the path."""
    assert any(p.startswith(expected) for p in problems_for({"rituals.0.approval": approval}))


@pytest.mark.parametrize(
    ("approval", "expected"),
    [
        ({"approvers": ["dev", "chloe", "ben"]}, ("any", 1, "any one approver")),
        (
            {"approvers": ["dev", "chloe", "ben"], "policy": "all"},
            ("all", 3, "every approver"),
        ),
        (
            {"approvers": ["dev", "chloe", "ana"], "policy": "all"},
            ("all", 2, "every approver but the requester"),
        ),
        (
            {"approvers": ["dev", "chloe", "ben"], "policy": "n_of_m", "required": 2},
            ("n_of_m", 2, "2 of 3 approvers"),
        ),
        (
            {"approvers": ["dev", "chloe", "ben", "ana"], "policy": "n_of_m", "required": 2},
            ("n_of_m", 2, "2 of 3 approvers"),
        ),
    ],
)
def test_plan_keeps_each_policy_and_its_quorum(
    approval: dict[str, Any], expected: tuple[str, int, str]
) -> None:
    """Config to plan, per policy: the approvals required, never counting the requester (Ana,
    the owner), and the policy in words, which leaves the requester out too."""
    config = parse_config(
        with_approval(**approval), source="t.yaml", base_dir=EXAMPLE_CONFIG.parent
    )
    plan = approval_plan(config, config.rituals[0])
    assert plan is not None
    assert expected == (plan.policy, plan.required, describe_policy(plan))


def test_plan_carries_timezones_and_redraft_delay() -> None:
    """Each person's timezone reaches their Contact; redraft_after becomes seconds."""
    text = with_approval(
        approvers=["chloe", "grace"],
        on_timeout="escalate",
        backup_approver="ben",
        redraft_after="1d12h",
    )
    config = parse_config(text, source="t.yaml", base_dir=EXAMPLE_CONFIG.parent)
    plan = approval_plan(config, config.rituals[0])
    assert plan is not None
    assert (
        ["Europe/Paris", "America/New_York"],
        "Europe/London",
        "Europe/London",
        129_600,
    ) == (
        [a.timezone for a in plan.approvers],
        plan.backup.timezone if plan.backup else None,
        plan.owner.timezone,
        plan.redraft_after_seconds,
    )


def test_plan_without_redraft_delay_waits_for_the_owner() -> None:
    """No redraft_after: the plan has no delay, so the run waits for the owner's redraft."""
    config = parse_config(
        with_approval(approvers=["dev"]), source="t.yaml", base_dir=EXAMPLE_CONFIG.parent
    )
    plan = approval_plan(config, config.rituals[0])
    assert plan is not None and plan.redraft_after_seconds is None
