"""The send ledger on SQLite and PostgreSQL: claims, outcomes, and racing workers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from opsrhythm.platform.ledger import (
    DATABASE_URL_ENV,
    Claim,
    MessageKey,
    SendLedger,
    default_database_url,
)
from tests.databases import POSTGRES_URL, postgres_schema, sqlite_url


def keys(count: int, workflow_id: str = "monthly-kpi-report-2026-10") -> list[MessageKey]:
    return [
        MessageKey(workflow_id, "leadership", "report", f"p{i}@acme.test") for i in range(count)
    ]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SendLedger]:
    if request.param == "sqlite":
        ledger = SendLedger.from_url(sqlite_url(tmp_path / "ledger.db"))
        yield ledger
        ledger.close()
        return
    with postgres_schema() as url:
        ledger = SendLedger.from_url(url)
        yield ledger
        ledger.close()


def race(ledger: SendLedger, wanted: list[MessageKey], workers: int = 4) -> list[Claim]:
    """What each of ``workers`` threads got claiming ``wanted`` at the same moment."""
    start = threading.Barrier(workers)
    claims: list[Claim] = []

    def worker() -> None:
        start.wait()
        claims.append(ledger.claim(wanted))

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return claims


def test_new_keys_are_claimed(ledger: SendLedger) -> None:
    """Keys never seen before are handed to the caller."""
    wanted = keys(3)
    assert wanted == ledger.claim(wanted, transport="sendgrid").claimed


def test_sent_keys_are_reported_as_already_sent(ledger: SendLedger) -> None:
    """A key marked sent is never claimed again."""
    wanted = keys(3)
    ledger.claim(wanted)
    ledger.mark_sent(wanted)
    assert Claim([], wanted, []) == ledger.claim(wanted)


def test_released_keys_can_be_claimed_again(ledger: SendLedger) -> None:
    """A definite failure makes the keys claimable by the next attempt."""
    wanted = keys(3)
    ledger.claim(wanted)
    ledger.release(wanted, "SendGrid server error (500)")
    assert wanted == ledger.claim(wanted).claimed


def test_keys_left_sending_are_in_flight_not_claimed(ledger: SendLedger) -> None:
    """A key an earlier attempt left in 'sending' is reported in doubt, not handed out."""
    wanted = keys(2)
    ledger.claim(wanted)
    claim = ledger.claim(wanted)
    assert ([], wanted) == (claim.claimed, [key for key, _ in claim.in_flight])


def test_partial_progress_resumes_with_the_rest(ledger: SendLedger) -> None:
    """After part was sent and the rest released, a new claim hands out only the rest."""
    wanted = keys(5)
    ledger.claim(wanted)
    ledger.mark_sent(wanted[:2])
    ledger.release(wanted[2:], "SendGrid server error (500)")
    assert Claim(wanted[2:], wanted[:2], []) == ledger.claim(wanted)


def test_release_never_undoes_a_sent_key(ledger: SendLedger) -> None:
    """Releasing a key that was already sent leaves it sent."""
    wanted = keys(1)
    ledger.claim(wanted)
    ledger.mark_sent(wanted)
    ledger.release(wanted, "late error")
    assert {wanted[0]: "sent"} == ledger.statuses(wanted)


def test_email_case_and_spaces_make_no_new_key(ledger: SendLedger) -> None:
    """Ann@Acme.test and ' ann@acme.test' are one recipient."""
    ledger.claim([MessageKey("w", "a", "report", "Ann@Acme.test")])
    ledger.mark_sent([MessageKey("w", "a", "report", "Ann@Acme.test")])
    assert [MessageKey("w", "a", "report", "ann@acme.test")] == ledger.claim(
        [MessageKey("w", "a", "report", " ann@acme.test")]
    ).already_sent


def test_other_workflow_runs_are_separate_keys(ledger: SendLedger) -> None:
    """The same recipient in the next month's run is claimed afresh."""
    ledger.claim(keys(1, "monthly-kpi-report-2026-10"))
    november = keys(1, "monthly-kpi-report-2026-11")
    assert november == ledger.claim(november).claimed


def test_racing_workers_each_claim_a_key_at_most_once(ledger: SendLedger) -> None:
    """Four workers claiming the same keys at once split them with no key handed out twice."""
    wanted = keys(300)
    handed_out = [key for claim in race(ledger, wanted) for key in claim.claimed]
    assert sorted(wanted, key=str) == sorted(handed_out, key=str)


def test_racing_workers_split_released_keys_too(ledger: SendLedger) -> None:
    """Claimers racing over failed and new keys at once still hand each key out exactly once."""
    wanted = keys(300)
    ledger.claim(wanted[:150])
    ledger.release(wanted[:150], "SendGrid server error (500)")
    handed_out = [key for claim in race(ledger, wanted) for key in claim.claimed]
    assert sorted(wanted, key=str) == sorted(handed_out, key=str)


def test_a_batch_costs_the_same_few_statements_whatever_its_size(ledger: SendLedger) -> None:
    """1,500 keys in every state: one statement claims, one more says why the rest were not
    claimed, one marks sent; no per-key statements or IN-list chunks."""
    wanted = keys(1500)
    ledger.claim(wanted[:1200])
    ledger.mark_sent(wanted[:400])
    ledger.release(wanted[400:800], "SendGrid server error (500)")
    statements: list[str] = []
    sa.event.listen(
        ledger.engine, "before_cursor_execute", lambda *args: statements.append(args[2])
    )
    claim = ledger.claim(wanted, transport="sendgrid")
    claiming = len(statements)
    ledger.mark_sent(claim.claimed)
    assert (wanted[400:800] + wanted[1200:], wanted[:400], wanted[800:1200], 2, 3) == (
        claim.claimed,
        claim.already_sent,
        [key for key, _ in claim.in_flight],
        claiming,
        len(statements),
    ), statements


def test_unknown_lists_only_rows_left_sending(ledger: SendLedger) -> None:
    """Rows left 'sending' are listed with their claim time; sent and failed rows are not."""
    wanted = keys(4)
    ledger.claim(wanted)
    ledger.mark_sent(wanted[:1])
    ledger.release(wanted[1:2], "SendGrid server error (500)")
    unknown = ledger.unknown()
    assert (wanted[2:], True) == (
        sorted((row.key for row in unknown), key=str),
        all(row.since.tzinfo is not None for row in unknown),
    )


def test_resolve_resend_makes_unknown_rows_claimable(ledger: SendLedger) -> None:
    """--resend: the next claim hands the keys out again."""
    wanted = keys(2)
    ledger.claim(wanted)
    settled = ledger.resolve(wanted[0].workflow_id, None, resend=True, note="operator")
    assert (wanted, wanted, []) == (settled, ledger.claim(wanted).claimed, [])


def test_resolve_mark_sent_records_the_chosen_rows_as_sent(ledger: SendLedger) -> None:
    """--mark-sent with emails: those rows become sent, the others stay unknown."""
    wanted = keys(3)
    ledger.claim(wanted)
    ledger.resolve(wanted[0].workflow_id, ["P0@acme.test"], resend=False, note="operator")
    assert {wanted[0]: "sent", wanted[1]: "sending", wanted[2]: "sending"} == ledger.statuses(
        wanted
    )


def test_resolve_leaves_other_runs_and_settled_rows_alone(ledger: SendLedger) -> None:
    """Only the named run's 'sending' rows change: a sent row is never made claimable."""
    october, november = keys(2), keys(1, "monthly-kpi-report-2026-11")
    ledger.claim([*october, *november])
    ledger.mark_sent(october[:1])
    ledger.resolve(october[0].workflow_id, None, resend=True, note="operator")
    assert {october[0]: "sent", october[1]: "failed", november[0]: "sending"} == (
        ledger.statuses([*october, *november])
    )


def test_default_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """OPSRHYTHM_DATABASE_URL wins over the local SQLite file."""
    monkeypatch.setenv(DATABASE_URL_ENV, POSTGRES_URL)
    assert POSTGRES_URL == default_database_url()


def test_default_url_is_a_sqlite_file_in_a_created_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without the variable, the ledger lives in ./.opsrhythm/opsrhythm.db."""
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    url = default_database_url()
    assert (f"sqlite:///{tmp_path.resolve()}/.opsrhythm/opsrhythm.db", True) == (
        url,
        (tmp_path / ".opsrhythm").is_dir(),
    )
