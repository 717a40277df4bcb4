"""Working the queue: assign, priority, comment, a changed resolution and a reopening, each
through the CLI, and the submitters told of every change."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.testing import ActivityEnvironment

import starter
from opsrhythm.rituals.feedback.actions import ActionRefused, assign, reopen, resolve
from opsrhythm.rituals.feedback.handlers import IN_PROCESS_NOTE, NO_WATCHER
from opsrhythm.rituals.feedback.ledger import FeedbackLedger
from opsrhythm.rituals.feedback.sla_models import SlaSweepInput
from tests.conftest import EXAMPLE_CONFIG
from tests.databases import sqlite_url
from tests.feedback.test_close_loop import LATER, submit
from tests.feedback.test_sla import Setup

FARID = "farid.haddad@acme.example"


@pytest.fixture
def cli_ledger(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FeedbackLedger]:
    url = sqlite_url(tmp_path / "actions.db")
    monkeypatch.setenv("OPSRHYTHM_DATABASE_URL", url)
    monkeypatch.setenv("OPSRHYTHM_CONFIG", str(EXAMPLE_CONFIG))
    monkeypatch.delenv("TEMPORAL_ADDRESS", raising=False)
    ledger = FeedbackLedger.from_url(url)
    yield ledger
    ledger.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = starter.main(["feedback", *argv])
    out, err = capsys.readouterr()
    return code, out.strip(), err.strip()


def submitted(capsys: pytest.CaptureFixture[str], text: str = "Refund the invoice") -> str:
    _, out, _ = run(capsys, "submit", "--text", text, "--from", "a@acme.test")
    return out.split()[0]


def test_assign_moves_the_item_and_records_who_had_it(
    cli_ledger: FeedbackLedger, capsys: pytest.CaptureFixture[str]
) -> None:
    item = submitted(capsys)
    code, out, _ = run(capsys, "assign", item, "--to", "kenji")
    stored = cli_ledger.get(item)
    assert (0, f"{item} assigned to kenji (was farid)", "kenji") == (
        code,
        out,
        stored.assignee if stored else None,
    )
    assert ("cli", "assigned", "farid -> kenji") == cli_ledger.events(item)[-1]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--to", "nobody"], "opsrhythm: --to nobody: not a person in the config"),
        (["--to", "farid"], "is already assigned to farid"),
    ],
)
def test_assign_refusals_are_one_line(
    cli_ledger: FeedbackLedger, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    item = submitted(capsys)
    code, _, err = run(capsys, "assign", item, *argv)
    assert (2, 1, True) == (code, len(err.splitlines()), message in err)


def test_priority_moves_the_sla_deadline(
    cli_ledger: FeedbackLedger, capsys: pytest.CaptureFixture[str]
) -> None:
    """P2 (5bd) to P1 (2bd): the deadline comes closer, shown in the feedback timezone."""
    item = submitted(capsys)
    before = cli_ledger.get(item)
    code, out, _ = run(capsys, "priority", item, "P1")
    after = cli_ledger.get(item)
    assert before and after and before.due_at and after.due_at
    assert (0, "P1", True, True, NO_WATCHER) == (
        code,
        after.priority,
        after.due_at < before.due_at,
        out.splitlines()[0].endswith(("GMT", "BST")),
        out.splitlines()[-1],
    )
    assert ("cli", "priority", "P2 -> P1") == cli_ledger.events(item)[-1]


def test_priority_of_a_duplicate_names_its_original(
    cli_ledger: FeedbackLedger, capsys: pytest.CaptureFixture[str]
) -> None:
    original, duplicate = submitted(capsys), submitted(capsys, "Dark mode")
    run(capsys, "merge", duplicate, "--into", original)
    code, _, err = run(capsys, "priority", duplicate, "P1")
    assert (2, f"opsrhythm: {duplicate} is a duplicate of {original}; act on the original") == (
        code,
        err,
    )


def test_comment_is_kept_in_the_history(
    cli_ledger: FeedbackLedger, capsys: pytest.CaptureFixture[str]
) -> None:
    item = submitted(capsys)
    code, _, _ = run(capsys, "comment", item, "--as", FARID, "Called them: VAT only")
    refused = [
        run(capsys, "comment", item, "--as", "x@nowhere.test", "hi")[0],
        run(capsys, "comment", item, "--as", FARID, "  ")[0],
        run(capsys, "comment", "fb-nope", "--as", FARID, "hi")[0],
    ]
    assert (0, [2, 2, 2]) == (code, refused)
    assert (FARID, "comment", "Called them: VAT only") == cli_ledger.events(item)[-1]


def test_resolve_again_and_reopen_through_the_cli(
    cli_ledger: FeedbackLedger, capsys: pytest.CaptureFixture[str]
) -> None:
    item = submitted(capsys)
    steps = [
        ["resolve", item, "--as", FARID, "--status", "planned", "--note", "Q1"],
        ["resolve", item, "--as", FARID, "--status", "shipped", "--note", "Out in 4.2"],
        ["reopen", item, "--as", FARID, "--note", "It came back"],
    ]
    results = [run(capsys, *step) for step in steps]
    codes = [code for code, _, _ in results]
    code, _, err = run(capsys, "reopen", item, "--as", FARID, "--note", "again")
    stored = cli_ledger.get(item)
    assert ([0, 0, 0], 2, f"opsrhythm: {item} is acknowledged, not resolved") == (
        codes,
        code,
        err,
    )
    assert stored is not None and "acknowledged" == stored.status
    assert [NO_WATCHER] * 3 == [out.splitlines()[-1] for _, out, _ in results]


def test_an_in_process_import_says_the_watcher_needs_a_worker(
    cli_ledger: FeedbackLedger, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "import", "--in-process", str(EXAMPLE_CONFIG.parent / "feedback.csv")
    )
    assert (0, IN_PROCESS_NOTE) == (code, out.splitlines()[-1])


def sweep_at(setup: Setup, now: datetime) -> None:
    ActivityEnvironment().run(setup.activities.sweep_sla, SlaSweepInput(now=now))


def test_submitters_hear_planned_then_shipped_then_reopened(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    item = submit(setup, "Refund the invoice", "a@acme.test")
    resolve(setup.ledger, item, FARID, "planned", "Q1")
    sweep_at(setup, datetime.now(UTC) + LATER)
    resolve(setup.ledger, item, FARID, "shipped", "Out in 4.2")
    sweep_at(setup, datetime.now(UTC) + LATER)
    sweep_at(setup, datetime.now(UTC) + LATER)
    reopen(setup.ledger, item, FARID, "It came back")
    sweep_at(setup, datetime.now(UTC) + LATER)
    assert [
        ("Your feedback is planned", ["a@acme.test"]),
        ("Your feedback has shipped", ["a@acme.test"]),
        ("Your feedback was reopened", ["a@acme.test"]),
    ] == setup.transport.sent


def test_a_change_within_the_window_sends_only_the_latest(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    item = submit(setup, "Refund the invoice", "a@acme.test")
    resolve(setup.ledger, item, FARID, "planned", "Q1")
    resolve(setup.ledger, item, FARID, "shipped", "Sooner than planned")
    sweep_at(setup, datetime.now(UTC) + LATER)
    sweep_at(setup, datetime.now(UTC) + LATER + timedelta(minutes=1))
    assert [("Your feedback has shipped", ["a@acme.test"])] == setup.transport.sent
    assert "Sooner than planned" in setup.transport.texts[0]


def test_reopening_an_open_item_is_refused(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    item = submit(setup, "Refund the invoice", "a@acme.test")
    with pytest.raises(ActionRefused, match="is new, not resolved"):
        reopen(setup.ledger, item, FARID, "why")


def test_history_shows_every_change_with_the_comment(
    cli_ledger: FeedbackLedger, capsys: pytest.CaptureFixture[str]
) -> None:
    item = submitted(capsys)
    run(capsys, "assign", item, "--to", "kenji")
    run(capsys, "comment", item, "--as", FARID, "Called them")
    code, out, _ = run(capsys, "history", item, "--json")
    document = json.loads(out)
    events = [(e["actor"], e["event"], e["detail"]) for e in document["events"]]
    assert (0, item, ["routed", "assigned", "comment"]) == (
        code,
        document["item"]["id"],
        [event for _, event, _ in events],
    )
    assert (FARID, "comment", "Called them") == events[-1]
    _, table, _ = run(capsys, "history", item)
    assert "at (Europe/London)" in table


def test_history_of_an_unknown_item_is_one_line(
    cli_ledger: FeedbackLedger, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (2, "opsrhythm: no feedback item 'fb-nope'") == run(capsys, "history", "fb-nope")[::2]


def test_of_two_assignments_at_once_the_second_is_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second read the item before the first changed it: refused, nothing overwritten."""
    setup = Setup(tmp_path)
    item = submit(setup, "Refund the invoice", "a@acme.test")
    stale = setup.ledger.get(item)
    assign(setup.ledger, item, "cli", "kenji")
    monkeypatch.setattr(setup.ledger, "get", lambda _: stale)
    with pytest.raises(ActionRefused, match="changed meanwhile"):
        assign(setup.ledger, item, "cli", "ana")
    monkeypatch.undo()
    stored = setup.ledger.get(item)
    assert stored is not None and "kenji" == stored.assignee
