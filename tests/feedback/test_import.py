"""Importing feedback into the ledger (SQLite and PostgreSQL): quarantine, idempotence, rotation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opsrhythm.config_loader import load_config
from opsrhythm.rituals.feedback.config import FeedbackSettings
from opsrhythm.rituals.feedback.intake import read_file
from opsrhythm.rituals.feedback.ledger import FeedbackLedger
from opsrhythm.rituals.feedback.triage import ImportSummary, triage_all

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "acme"
NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def settings() -> FeedbackSettings:
    feedback = load_config(EXAMPLES / "opsrhythm.yaml").feedback
    assert feedback is not None
    return feedback


def import_example(settings: FeedbackSettings, ledger: FeedbackLedger) -> ImportSummary:
    rows = read_file(EXAMPLES / "feedback.csv", now=NOW)
    return triage_all(rows, settings, ledger, origin="feedback.csv", now=NOW)


def test_example_file_routes_every_good_row_and_quarantines_the_rest(
    settings: FeedbackSettings, ledger: FeedbackLedger
) -> None:
    """The example CSV: 9 items routed (1 linked as a duplicate), 4 malformed rows quarantined."""
    assert ImportSummary(9, 0, 4, 4, 1) == import_example(settings, ledger)


def test_reimport_adds_nothing(settings: FeedbackSettings, ledger: FeedbackLedger) -> None:
    """The same file a second time: every row a duplicate, nothing newly quarantined."""
    import_example(settings, ledger)
    assert ImportSummary(0, 9, 4, 0) == import_example(settings, ledger)


def test_quarantine_keeps_each_row_with_its_reason(
    settings: FeedbackSettings, ledger: FeedbackLedger
) -> None:
    """Malformed rows are stored with their line and why, never dropped."""
    import_example(settings, ledger)
    assert [
        (
            11,
            "created_at: 'not-a-date' is not a date "
            "(Input should be a valid datetime or date, invalid character in year)",
        ),
        (12, "submitter: Field required"),
        (13, "expected 8 columns, found 2"),
        (14, "arr: Input should be greater than or equal to 0"),
    ] == [(q.line, q.reason) for q in ledger.quarantined()]


def test_every_item_is_routed_and_assigned(
    settings: FeedbackSettings, ledger: FeedbackLedger
) -> None:
    """Each stored item has an area, and the triage queue alternates over the rotation."""
    import_example(settings, ledger)
    triage = [i.assignee for i in ledger.find(area="triage")]
    areas = sorted({i.area for i in ledger.find()})
    assert (
        ["ana", "kenji"],
        ["billing", "integrations", "onboarding", "reporting", "security", "triage"],
    ) == (triage, areas)


def test_round_robin_continues_across_imports(
    settings: FeedbackSettings, ledger: FeedbackLedger, tmp_path: Path
) -> None:
    """A later import carries on the rotation where the stored items left it."""
    import_example(settings, ledger)
    extra = tmp_path / "more.jsonl"
    extra.write_text('{"text": "Dark theme", "submitter": "x@acme.test"}\n')
    triage_all(read_file(extra, now=NOW), settings, ledger, origin="more.jsonl", now=NOW)
    assert ["ana", "kenji", "ana"] == [i.assignee for i in ledger.find(area="triage")]


def test_breaching_lists_open_items_past_their_sla(
    settings: FeedbackSettings, ledger: FeedbackLedger
) -> None:
    """After 2 days only the P1 item (2d SLA) is breaching."""
    import_example(settings, ledger)
    breaching = ledger.find(breaching_at=NOW + timedelta(days=2, minutes=1))
    assert [("P1", "security")] == [(i.priority, i.area) for i in breaching]


def test_history_records_the_routing(settings: FeedbackSettings, ledger: FeedbackLedger) -> None:
    """Each imported item gets a history row saying where it was routed and by which rule."""
    import_example(settings, ledger)
    first = ledger.find(area="billing")[0]
    assert [
        ("import", "routed", "billing / payments / farid / P2 (rule billing)")
    ] == ledger.events(first.id)


def test_json_lines_quarantine_bad_json(tmp_path: Path) -> None:
    """A line that is not a JSON object is quarantined with the reason."""
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "ok", "submitter": "a@b.co"}\n{oops\n[1, 2]\n')
    rows = read_file(source, now=NOW)
    assert [
        "",
        "invalid JSON: Expecting property name enclosed in double quotes",
        "not a JSON object",
    ] == [r.reason for r in rows]


def test_unknown_file_type_is_refused(tmp_path: Path) -> None:
    """Only .csv and .jsonl files are read."""
    source = tmp_path / "in.xlsx"
    source.write_text("")
    with pytest.raises(ValueError, match=r"expected a \.csv or \.jsonl file"):
        read_file(source, now=NOW)
