"""The CLI's approval text shows times in the zone of the machine running it, named by its
abbreviation; ``--json`` stays in UTC."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from opsrhythm.platform.approvals.models import ApprovalStatus, AuditEntry, Contact
from opsrhythm.platform.approvals.views import approval_json, print_approval, print_pending

DEADLINE = datetime(2026, 11, 13, 17, 0, tzinfo=UTC)
DEV = Contact(name="Dev Patel", email="dev@acme.example")


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def status() -> ApprovalStatus:
    return ApprovalStatus(
        workflow_id="monthly-kpi-report-2026-10",
        state="pending",
        round=1,
        title="October KPIs",
        deadline=DEADLINE,
        pending=[DEV],
        audit=[
            AuditEntry(
                round=1,
                actor="chloe@acme.example",
                action="approve",
                at=datetime(2026, 7, 1, 9, 30, tzinfo=UTC),
                channel="cli",
            )
        ],
    )


def test_deadline_and_audit_in_the_machines_zone(
    new_york: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """17:00 UTC on 13 Nov is 12:00 EST in New York; 09:30 UTC on 1 July is 05:30 EDT."""
    print_approval(status())
    print_pending([status()], None)
    out = capsys.readouterr().out
    assert ("deadline 2026-11-13 12:00 EST", "2026-07-01 05:30 EDT  round 1") == (
        out.splitlines()[0].split("; ")[-1],
        out.splitlines()[2].split("  chloe")[0].strip(),
    )
    assert "(round 1, due 2026-11-13 12:00 EST)" in out
    assert "2026-11-13T17:00:00Z" == approval_json(status())["deadline"]
