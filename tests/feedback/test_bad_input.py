"""Every row stands alone (SQLite and PostgreSQL): a CSV and JSON lines with every kind of bad
input, in process, through the CLI and through Temporal, store every good row and quarantine
every bad one with its reason (``POST /feedback``: ``test_bad_input_web``)."""

from __future__ import annotations

import concurrent.futures
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

import starter
from activities.feedback import FeedbackActivities
from opsrhythm.config_loader import load_config
from opsrhythm.rituals.feedback.config import FeedbackSettings
from opsrhythm.rituals.feedback.intake import read_content
from opsrhythm.rituals.feedback.ledger import FeedbackLedger
from opsrhythm.rituals.feedback.temporal_import import run_import
from opsrhythm.rituals.feedback.triage import triage_all
from tests.conftest import EXAMPLE_CONFIG
from tests.databases import sqlite_url
from tests.feedback.bad_rows import (
    BAD_CSV,
    BAD_JSON,
    GOOD_CSV,
    GOOD_JSON,
    HEADER,
    NOW,
    mapped_settings,
)
from workflows.feedback_triage import FeedbackTriageWorkflow


@pytest.fixture(scope="module")
def settings() -> FeedbackSettings:
    return mapped_settings()


def test_config_columns_are_case_blind_and_name_known_fields() -> None:
    """`columns:` keys are matched case-blind; a target that is no field is a config error."""
    feedback = load_config(EXAMPLE_CONFIG).feedback
    assert feedback is not None
    data = feedback.model_dump()
    mapped = FeedbackSettings.model_validate(data | {"columns": {" Created ": "created_at"}})
    with pytest.raises(ValidationError) as refused:
        FeedbackSettings.model_validate(data | {"columns": {"when": "created"}})
    assert ({"created": "created_at"}, ("columns", "when")) == (
        mapped.columns,
        refused.value.errors()[0]["loc"],
    )


def stored(ledger: FeedbackLedger) -> list[tuple[str | None, str]]:
    return sorted(((i.external_id, i.text) for i in ledger.find()), key=lambda pair: pair[1])


def test_csv_stores_every_good_row_and_quarantines_each_bad_one(
    settings: FeedbackSettings, ledger: FeedbackLedger
) -> None:
    """Good rows between bad ones are stored with their external id and date; each bad row is
    quarantined with its own reason, and its raw text is kept in a form the database holds."""
    content = HEADER + GOOD_CSV[0] + b"".join(BAD_CSV) + GOOD_CSV[1]
    rows = read_content(content, "export.csv", now=NOW, columns=settings.columns)
    summary = triage_all(rows, settings, ledger, origin="export.csv", now=NOW)
    reasons = {q.line: q.reason for q in ledger.quarantined()}
    assert (2, len(BAD_CSV)) == (summary.imported, summary.quarantined)
    assert list(BAD_CSV.values()) == [reasons[line] for line in sorted(reasons)]
    assert [("EXT-1", "Invoices show the wrong VAT"), ("EXT-2", "Reports are slow")] == stored(
        ledger
    )
    item = ledger.find()[0]
    assert datetime(2026, 11, 1, 10, tzinfo=UTC) == item.created_at


def test_json_lines_store_every_good_row_and_quarantine_each_bad_one(
    settings: FeedbackSettings, ledger: FeedbackLedger
) -> None:
    """Deep nesting, NUL, lone surrogates, infinite and over-long numbers: each quarantines its
    own line only."""
    lines = [json.dumps(GOOD_JSON[0]), *BAD_JSON, json.dumps(GOOD_JSON[1])]
    content = "\n".join(lines).encode()
    rows = read_content(content, "export.jsonl", now=NOW, columns=settings.columns)
    summary = triage_all(rows, settings, ledger, origin="export.jsonl", now=NOW)
    reasons = [q.reason for q in sorted(ledger.quarantined(), key=lambda q: q.line)]
    assert (2, list(BAD_JSON.values())) == (summary.imported, reasons)
    assert [(None, "Export to Excel"), ("1042", "SSO before renewal")] == stored(ledger)


def test_import_reports_unknown_columns_once_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Columns no field takes (the example config maps none) are named once, after the summary;
    the rows bad in the columns read are quarantined, the import exits 0."""
    monkeypatch.setenv("OPSRHYTHM_DATABASE_URL", sqlite_url(tmp_path / "cli.db"))
    monkeypatch.setenv("OPSRHYTHM_CONFIG", str(EXAMPLE_CONFIG))
    path = tmp_path / "export.csv"
    path.write_bytes(HEADER + GOOD_CSV[0] + b"".join(BAD_CSV) + GOOD_CSV[1])
    code = starter.main(["feedback", "import", "--in-process", str(path)])
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    # Then, with no server configured, a line that SLA emails need one: not counted here.
    ignored = [line for line in lines if "column" in line]
    assert (0, "", 1) == (code, err, len(ignored))
    assert ignored[0].startswith("ignored column(s) created, id, mood: not feedback fields (")
    assert "imported 5 (0 near-duplicates linked), duplicates 0, quarantined 7 (7 new)" == lines[0]


@pytest.mark.parametrize(
    ("option", "value", "reason"),
    [
        ("--customer", "x" * 256, "customer: String should have at most 255 characters"),
        ("--segment", "s" * 65, "segment: String should have at most 64 characters"),
        ("--text", "nul\x00", "text: contains a NUL character"),
        ("--arr", "inf", "arr: Input should be a finite number"),
    ],
)
def test_submit_refuses_bad_values_in_one_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    option: str,
    value: str,
    reason: str,
) -> None:
    """`feedback submit` with a value the ledger cannot hold: exit 2 and one line, no traceback."""
    monkeypatch.setenv("OPSRHYTHM_DATABASE_URL", sqlite_url(tmp_path / "cli.db"))
    monkeypatch.setenv("OPSRHYTHM_CONFIG", str(EXAMPLE_CONFIG))
    argv = ["feedback", "submit", "--text", "Hello", "--from", "a@acme.test", option, value]
    code = starter.main(argv)
    _, err = capsys.readouterr()
    assert (2, 1, True) == (code, len(err.strip().splitlines()), reason in err)


async def test_import_through_temporal_stores_the_good_rows_beside_the_bad(
    settings: FeedbackSettings, time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """The worker's activity reads the file the same way: the bad rows are quarantined, the
    import completes (no failed activity, no retries) with the good rows and their ids stored."""
    ledger = FeedbackLedger.from_url(sqlite_url(tmp_path / "temporal.db"))
    path = tmp_path / f"export-{uuid.uuid4().hex}.csv"
    unique = f"Reports are slow {uuid.uuid4().hex},ben@acme.example,,,,,EXT-2,\n".encode()
    path.write_bytes(HEADER + GOOD_CSV[0] + b"".join(BAD_CSV) + unique)
    queue = str(uuid.uuid4())
    activities = FeedbackActivities(settings, lambda: ledger)
    async with Worker(
        time_skipping_env.client,
        task_queue=queue,
        workflows=[FeedbackTriageWorkflow],
        activities=[activities.plan_feedback_import, activities.triage_feedback_chunk],
        activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=2),
    ):
        counts = await run_import(
            time_skipping_env.client, path, lambda *_: None, task_queue=queue, watch_sla=False
        )
    ids = sorted(item.external_id or "" for item in ledger.find())
    ledger.close()
    assert (2, len(BAD_CSV), ["EXT-1", "EXT-2"]) == (counts.imported, counts.quarantined, ids)


def test_two_columns_for_one_field_quarantine_the_row_when_they_differ() -> None:
    """`created` mapped to created_at beside a created_at column: a row where they disagree is
    quarantined naming both, rather than one value dropped; where they agree it is read."""
    columns = {"created": "created_at"}
    content = (
        b"text,email,created,created_at\n"
        b"Slow reports,a@acme.example,2026-11-01,2026-11-02\n"
        b"Fast reports,b@acme.example,2026-11-03,2026-11-03\n"
    )
    first, second = read_content(content, "both.csv", now=NOW, columns=columns)
    assert ("created and created_at both fill created_at, with different values", True) == (
        first.reason,
        second.input is not None,
    )
