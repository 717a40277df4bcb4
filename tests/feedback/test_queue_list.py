"""`feedback list` as a queue: pages, sorts, duplicates hidden or counted, JSON and CSV, plain
when piped, times in the feedback timezone, and quick on 20,000 items."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import starter
from opsrhythm.rituals.feedback.ledger import FeedbackLedger
from opsrhythm.rituals.feedback.models import FeedbackItem
from opsrhythm.rituals.feedback.queue import QueueFilter, queue_page
from tests.conftest import EXAMPLE_CONFIG
from tests.databases import sqlite_url

FEEDBACK_CSV = EXAMPLE_CONFIG.parent / "feedback.csv"
BOX_CHARACTERS = set("━┃│─┏┓┗┛╇╈┡┩")


@pytest.fixture(autouse=True)
def database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    url = sqlite_url(tmp_path / "queue.db")
    monkeypatch.setenv("OPSRHYTHM_DATABASE_URL", url)
    monkeypatch.setenv("OPSRHYTHM_CONFIG", str(EXAMPLE_CONFIG))
    return url


@pytest.fixture
def imported(capsys: pytest.CaptureFixture[str]) -> None:
    assert 0 == starter.main(["feedback", "import", "--in-process", str(FEEDBACK_CSV)])
    capsys.readouterr()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = starter.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def listed(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    code, out, _ = run(capsys, "feedback", "list", "--json", *argv)
    assert 0 == code
    document: dict[str, object] = json.loads(out)
    return document


def ids(document: dict[str, object]) -> list[str]:
    return [item["id"] for item in document["items"]]  # type: ignore[attr-defined]


def test_pages_cover_every_item_once(imported: None, capsys: pytest.CaptureFixture[str]) -> None:
    every = ids(listed(capsys, "--limit", "0"))
    pages = [ids(listed(capsys, "--limit", "4", "--offset", str(o))) for o in (0, 4, 8)]
    assert (9, every) == (len(every), [i for page in pages for i in page])


def test_table_footer_names_the_next_page(
    imported: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, "feedback", "list", "--limit", "4", "--offset", "4")
    assert "items 5-8 of 9; --offset 8 for the next page" == out.strip().splitlines()[-1]


def test_sort_by_score_and_due(imported: None, capsys: pytest.CaptureFixture[str]) -> None:
    by_score = listed(capsys, "--sort", "score")["items"]
    by_due = listed(capsys, "--sort", "due")["items"]
    scores = [i["score"] for i in by_score]  # type: ignore[attr-defined]
    dues = [i["due_at"] for i in by_due]  # type: ignore[attr-defined]
    assert (sorted(scores, reverse=True), sorted(dues)) == (scores, dues)


def test_duplicates_hidden_or_counted_on_their_original(
    imported: None, capsys: pytest.CaptureFixture[str]
) -> None:
    every = listed(capsys)["items"]
    duplicate = next(i for i in every if i["duplicate_of"])  # type: ignore[attr-defined]
    original = next(i for i in every if i["id"] == duplicate["duplicate_of"])  # type: ignore[attr-defined]
    hidden = listed(capsys, "--hide-duplicates")
    assert (1, 8, False) == (
        original["duplicates"],
        hidden["total"],
        duplicate["id"] in ids(hidden),
    )


def test_piped_table_draws_no_box_and_labels_the_timezone(
    imported: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """capsys is not a terminal: plain columns, one line per item, due in Europe/London."""
    _, out, _ = run(capsys, "feedback", "list")
    lines = out.strip().splitlines()
    assert (set(), 11, True) == (
        BOX_CHARACTERS & set(out),
        len(lines),
        "due (Europe/London)" in lines[0],
    )


def test_csv_neutralises_formula_cells(capsys: pytest.CaptureFixture[str]) -> None:
    text = '=HYPERLINK("http://evil.example","click")'
    run(capsys, "feedback", "submit", "--text", text, "--from", "a@acme.test", "--customer", "@x")
    code, out, _ = run(capsys, "feedback", "list", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert (0, 1, "'" + text, "'@x") == (code, len(rows), rows[0]["text"], rows[0]["customer"])


def test_json_and_csv_together_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "feedback", "list", "--json", "--csv")
    assert (2, "opsrhythm: --json and --csv: choose one") == (code, err.strip())


def test_a_negative_limit_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "feedback", "list", "--limit", "-1")
    assert (2, 1) == (code, len(err.strip().splitlines()))


def test_a_page_of_twenty_thousand_is_read_in_the_database(ledger: FeedbackLedger) -> None:
    """20,000 items with 40% duplicates: a page of 50 by score, originals only, in well under
    a second, and the total counted without reading every item (SQLite and PostgreSQL)."""
    start = datetime(2026, 11, 2, tzinfo=UTC)
    items = [_item(n, start) for n in range(20_000)]
    ledger.add(items)
    which = QueueFilter(hide_duplicates=True)
    began = time.perf_counter()
    page = queue_page(ledger, which, sort="score", limit=50, offset=100)
    elapsed = time.perf_counter() - began
    # Originals are n % 5 in (2, 3, 4): three in every five, so the 101st is 19,999 - 5 * 33 - 1.
    assert (50, 12_000, 19_833) == (len(page.items), page.total, int(page.items[0].score))
    assert elapsed < 1.0, elapsed


def _item(n: int, start: datetime) -> FeedbackItem:
    return FeedbackItem(
        id=f"fb-{n:012d}",
        text=f"item {n}",
        submitter="a@acme.test",
        created_at=start + timedelta(seconds=n),
        area="billing",
        owner_team="payments",
        assignee="farid",
        priority="P3",
        score=n,
        duplicate_of=None if n % 5 > 1 else "fb-000000000002",
        status="new",
    )
