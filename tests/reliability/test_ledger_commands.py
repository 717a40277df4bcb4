"""`opsrhythm ledger unknown` and `ledger resolve` on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import starter
from opsrhythm.platform.ledger import MessageKey, SendLedger
from tests.databases import postgres_schema, sqlite_url

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
