"""Batched triage: a fixed number of queries per chunk, and overlapping attempts store once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from opsrhythm.config_loader import load_config
from opsrhythm.rituals.feedback import ledger_writes
from opsrhythm.rituals.feedback.actions import resolve
from opsrhythm.rituals.feedback.config import FeedbackSettings
from opsrhythm.rituals.feedback.intake import ParsedRow, parse_record
from opsrhythm.rituals.feedback.ledger import FeedbackLedger
from opsrhythm.rituals.feedback.ledger_view import LedgerView
from opsrhythm.rituals.feedback.ledger_writes import insert_new
from opsrhythm.rituals.feedback.triage import triage_all, triage_chunk
from tests.databases import postgres_schema

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme" / "opsrhythm.yaml"
NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
TOPICS = ["invoice refund", "saml sso login", "dashboard export csv", "slack webhook alert"]


@pytest.fixture(scope="module")
def settings() -> FeedbackSettings:
    feedback = load_config(EXAMPLE).feedback
    assert feedback is not None
    return feedback


def rows(count: int, *, first: int = 0) -> list[ParsedRow]:
    """``count`` rows; every third repeats an earlier topic for the same customer."""
    parsed = []
    for n in range(first, first + count):
        customer = f"Customer {n % 7}"
        words = f"{TOPICS[n % 4]} broken again" if n % 3 == 0 else f"ticket{n} {TOPICS[n % 4]}"
        record = {"text": words, "submitter": f"u{n}@c{n % 7}.test", "customer": customer}
        parsed.append(parse_record(record, line=n + 2, raw=words, now=NOW))
    return parsed


def history_counts(ledger: FeedbackLedger) -> Counter[tuple[str, str, str]]:
    h = ledger.history
    with ledger.engine.connect() as conn:
        query = sa.select(h.c.item_id, h.c.event, h.c.detail)
        return Counter(tuple(row) for row in conn.execute(query))


@pytest.fixture
def statements(ledger: FeedbackLedger, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every statement sent, COPY and the driver's own executes included on PostgreSQL."""
    seen: list[str] = []
    if ledger.engine.dialect.name == "postgresql":
        import psycopg

        for method in ("execute", "executemany", "copy"):
            original = getattr(psycopg.Cursor, method)

            def counted(self: Any, query: Any, *args: Any, _sent: Any = original, **kw: Any) -> Any:
                seen.append(str(query))
                return _sent(self, query, *args, **kw)

            monkeypatch.setattr(psycopg.Cursor, method, counted)
        yield seen
        return

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    sa.event.listen(ledger.engine, "before_cursor_execute", count)
    yield seen
    sa.event.remove(ledger.engine, "before_cursor_execute", count)


def test_a_chunk_costs_the_same_few_queries_at_50_or_500_rows(
    ledger: FeedbackLedger, settings: FeedbackSettings, statements: list[str]
) -> None:
    """Existence, turn, originals and the writes are per chunk, never per row."""
    view = LedgerView(settings.dedupe)
    triage_chunk(rows(50), settings, ledger, origin="t", now=NOW, view=view)
    small = len(statements)
    statements.clear()
    summary = triage_chunk(rows(500, first=50), settings, ledger, origin="t", now=NOW, view=view)
    assert summary.imported + summary.linked > 0 and summary.linked > 100
    assert len(statements) <= small <= 20  # connection pings included


def test_near_duplicates_link_across_chunks_and_not_to_a_resolved_original(
    ledger: FeedbackLedger, settings: FeedbackSettings
) -> None:
    """The index kept between chunks sees the last chunk's originals and a resolution since."""
    view = LedgerView(settings.dedupe)
    first = parse_record(
        {"text": "SAML SSO login for Globex", "submitter": "a@globex.test", "customer": "Globex"},
        line=2,
        raw="a",
        now=NOW,
    )
    resolved = parse_record(
        {"text": "Invoice refund takes weeks", "submitter": "b@initech.test"},
        line=3,
        raw="b",
        now=NOW,
    )
    triage_chunk([first, resolved], settings, ledger, origin="t", now=NOW, view=view)
    resolve(ledger, resolved.item_id, "pm@acme.test", "planned", "on the roadmap")
    again = [
        parse_record(
            {"text": "SAML SSO login, Globex", "submitter": "c@globex.test", "customer": "Globex"},
            line=4,
            raw="c",
            now=NOW,
        ),
        parse_record(
            {"text": "invoice refund takes weeks!", "submitter": "d@hooli.test"},
            line=5,
            raw="d",
            now=NOW,
        ),
    ]
    triage_chunk(again, settings, ledger, origin="t", now=NOW, view=view)
    linked, fresh = (ledger.get(row.item_id) for row in again)
    assert linked is not None and fresh is not None
    assert (linked.duplicate_of, linked.status) == (first.item_id, "duplicate")
    assert (fresh.duplicate_of, fresh.status) == (None, "new")
    assert ["a@globex.test", "c@globex.test"] == ledger.submitters_of(first.item_id)


def test_a_batched_import_matches_one_row_at_a_time(
    ledger: FeedbackLedger, settings: FeedbackSettings, tmp_path: Path
) -> None:
    """Same routing, links and history as triaging each row on its own."""
    data = rows(120)
    triage_all(data, settings, ledger, origin="t", now=NOW)
    single = FeedbackLedger.from_url(_sqlite(tmp_path))
    for row in data:
        triage_chunk([row], settings, single, origin="t", now=NOW)
    assert _routing(single) == _routing(ledger)
    assert history_counts(single) == history_counts(ledger)
    single.close()


@pytest.mark.postgres
def test_two_overlapping_attempts_store_every_item_and_its_history_once(
    settings: FeedbackSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second attempt checks while the first has inserted but not committed: it waits on
    the insert, finds the rows taken and records nothing (the old check-then-insert wrote every
    history row twice)."""
    data = rows(300)
    inserted = threading.Event()

    def insert_and_hold(conn: sa.Connection, *args: Any) -> set[Any]:
        stored = insert_new(conn, *args)
        if threading.current_thread().name == "first":
            inserted.set()
            time.sleep(1.0)  # the second attempt checks and inserts meanwhile
        return stored

    monkeypatch.setattr(ledger_writes, "insert_new", insert_and_hold)
    with postgres_schema() as url:
        first, second = FeedbackLedger.from_url(url), FeedbackLedger.from_url(url)
        results: dict[str, int] = {}

        def attempt(name: str, ledger: FeedbackLedger) -> None:
            summary = triage_chunk(data, settings, ledger, origin="t", now=NOW)
            results[name] = summary.imported

        one = threading.Thread(target=attempt, args=("first", first), name="first")
        one.start()
        assert inserted.wait(30)
        attempt("second", second)
        one.join(60)
        stored = history_counts(first)
        first.close()
        second.close()
    assert {"first": 300, "second": 0} == results
    assert 300 == sum(n for (_, event, _), n in stored.items() if event == "routed")
    assert {1} == set(stored.values())


def _sqlite(tmp_path: Path) -> str:
    from tests.databases import sqlite_url

    return sqlite_url(tmp_path / "single.db")


def _routing(ledger: FeedbackLedger) -> list[tuple[Any, ...]]:
    t = ledger.items
    query = sa.select(
        t.c.id, t.c.area, t.c.assignee, t.c.priority, t.c.duplicate_of, t.c.status
    ).order_by(t.c.id)
    with ledger.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def test_the_triage_rotation_goes_on_across_chunks_and_other_writers(
    ledger: FeedbackLedger, settings: FeedbackSettings
) -> None:
    """The import's view counts the queue once, then its own and others' new queue items."""
    view = LedgerView(settings.dedupe)

    def unmatched(n: int) -> ParsedRow:
        text = f"zebra{n} quokka{n} wombat{n}"
        return parse_record(
            {"text": text, "submitter": f"z{n}@zoo.test"}, line=n, raw=text, now=NOW
        )

    first, web, cli, second, third = (unmatched(n) for n in range(5))
    triage_chunk([first], settings, ledger, origin="t", now=NOW, view=view)
    for row in (web, cli):  # other writers, between the import's chunks
        triage_chunk([row], settings, ledger, origin="web", now=NOW)
    triage_chunk([second, third], settings, ledger, origin="t", now=NOW, view=view)
    items = [ledger.get(row.item_id) for row in (first, web, cli, second, third)]
    assert ["ana", "kenji", "ana", "kenji", "ana"] == [item.assignee for item in items if item]
