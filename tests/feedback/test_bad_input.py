"""Every row stands alone (SQLite and PostgreSQL): a CSV, JSON lines and ``POST /feedback`` with
every kind of bad input store every good row and quarantine every bad one with its reason."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
from pydantic import ValidationError
from starlette.applications import Starlette

import starter
from opsrhythm.config_loader import load_config
from opsrhythm.rituals.feedback.config import FeedbackSettings
from opsrhythm.rituals.feedback.intake import read_content
from opsrhythm.rituals.feedback.ledger import FeedbackLedger
from opsrhythm.rituals.feedback.triage import triage_all
from opsrhythm.rituals.feedback.web import FeedbackIntake
from tests.conftest import EXAMPLE_CONFIG
from tests.databases import sqlite_url
from tests.web.live_server import live_server

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/none"
"""Nothing listens on port 1: every connection is refused at once."""
TOKEN = "bad-input-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HEADER = b"text,email,customer,segment,arr,created,id,mood\n"
GOOD_CSV = [
    b"Invoices show the wrong VAT,ana@acme.example,Globex,enterprise,1000,2026-11-01T10:00:00Z,"
    b"EXT-1,cross\n",
    b"Reports are slow,ben@acme.example,Initech,smb,,2026-11-02,EXT-2,\n",
]
BAD_CSV = {
    b"Too long a name,c@acme.example," + b"x" * 256 + b",smb,,,E3,\n": (
        "customer: String should have at most 255 characters"
    ),
    b"Too long a segment,d@acme.example,Acme," + b"s" * 65 + b",,,E4,\n": (
        "segment: String should have at most 64 characters"
    ),
    b"A NUL\x00 inside,e@acme.example,Acme,smb,,,E5,\n": "text: contains a NUL character",
    b'"' + b"m" * 1_000_000 + b'",f@acme.example,Acme,smb,,,E6,\n': (
        "text: 1,000,000 characters, over the 10,000 a cell may hold"
    ),
    b"Excel export,g@acme.example,Caf\xe9 Ltd,smb,,,E7,\n": (
        "customer: byte 0xe9 is not UTF-8 (a cp1252/Excel export? save the file as UTF-8)"
    ),
    b"Huge ARR,h@acme.example,Acme,smb,1e999,,E8,\n": "arr: Input should be a finite number",
    b"Infinite ARR,i@acme.example,Acme,smb,inf,,E9,\n": "arr: Input should be a finite number",
    b"Bad date,j@acme.example,Acme,smb,,2026-13-45,E10,\n": (
        "created_at: '2026-13-45' is not a date (Input should be a valid datetime or date, "
        "month value is outside expected range of 1-12)"
    ),
    b"Future date,k@acme.example,Acme,smb,,2099-01-01,E11,\n": (
        "created_at: 2099-01-01T00:00:00+00:00 is in the future"
    ),
    b"Long id,l@acme.example,Acme,smb,,," + b"9" * 256 + b",\n": (
        "external_id: String should have at most 255 characters"
    ),
}
GOOD_JSON = [
    {"text": "SSO before renewal", "submitter": "m@acme.example", "id": 1042, "arr": 5e4},
    {"text": "Export to Excel", "submitter": "n@acme.example", "created": "2026-10-30"},
]
NESTED = '{"text": "deep", "submitter": "o@acme.example", "tags": ' + "[" * 2000 + "]" * 2000 + "}"
BAD_JSON = {
    NESTED: "JSON nested deeper than 8 levels",
    '{"text": "shallow but deep", "submitter": "p@acme.example", "x": [[[[[[[[[1]]]]]]]]]}': (
        "JSON nested deeper than 8 levels"
    ),
    '{"text": "nul \\u0000 here", "submitter": "q@acme.example"}': (
        "text: contains a NUL character"
    ),
    '{"text": "half a pair \\ud800", "submitter": "r@acme.example"}': (
        "text: not valid Unicode (a lone surrogate)"
    ),
    '{"text": "big", "submitter": "s@acme.example", "arr": 1e999}': (
        "arr: Input should be a finite number"
    ),
    '{"text": "nan", "submitter": "t@acme.example", "arr": NaN}': (
        "arr: Input should be a finite number"
    ),
    '{"text": "digits", "submitter": "u@acme.example", "arr": 1' + "0" * 5000 + "}": (
        "invalid JSON: Exceeds the limit (4300 digits) for integer string conversion"
    ),
    '{"text": "name", "submitter": "v@acme.example", "customer": "' + "c" * 300 + '"}': (
        "customer: String should have at most 255 characters"
    ),
    '{"text": "when", "submitter": "w@acme.example", "created": "2026-13-45"}': (
        "created_at: '2026-13-45' is not a date (Input should be a valid datetime or date, "
        "month value is outside expected range of 1-12)"
    ),
}


@pytest.fixture(scope="module")
def settings() -> FeedbackSettings:
    feedback = load_config(EXAMPLE_CONFIG).feedback
    assert feedback is not None
    return feedback.model_copy(update={"columns": {"created": "created_at", "id": "external_id"}})


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


@pytest_asyncio.fixture
async def intake_url(settings: FeedbackSettings, ledger: FeedbackLedger) -> AsyncIterator[str]:
    app = Starlette(routes=FeedbackIntake(settings, ledger, TOKEN).routes())
    async with live_server(app) as base:
        yield f"{base}/feedback"


async def test_post_answers_every_bad_body_with_a_4xx_and_quarantines_it(
    intake_url: str, ledger: FeedbackLedger
) -> None:
    """Never a 500: each bad body is a 400 or 422 with its reason, quarantined; the good ones
    are stored (201) with their external id, and an unknown field is named in the answer."""
    bodies = [body.encode() for body in BAD_JSON] + [
        b'{"text": "Excel \xe9", "submitter": "x@acme.example"}',
        json.dumps({"text": "n" * 20, "submitter": "y@acme.example", "segment": "s" * 65}).encode(),
    ]
    async with httpx.AsyncClient() as http:
        bad = [(await http.post(intake_url, content=b, headers=AUTH)) for b in bodies]
        good = [(await http.post(intake_url, json=b, headers=AUTH)) for b in GOOD_JSON]
    assert [True] * len(bodies) == [r.status_code in (400, 422) for r in bad]
    assert [True] * len(bodies) == [r.json()["quarantined"] for r in bad]
    assert [201, 201] == [r.status_code for r in good]
    assert ("1042", []) == (good[0].json()["external_id"], good[0].json()["unknown_fields"])
    assert len(bodies) == len(ledger.quarantined())
    assert 2 == len(ledger.find())


async def test_post_names_fields_it_does_not_read(intake_url: str, ledger: FeedbackLedger) -> None:
    """A field that fills nothing is not silently dropped: the answer names it."""
    body = {"text": "Dark mode", "submitter": "z@acme.example", "mood": "keen"}
    async with httpx.AsyncClient() as http:
        response = await http.post(intake_url, json=body, headers=AUTH)
    assert (201, ["mood"]) == (response.status_code, response.json()["unknown_fields"])


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
    assert (0, "", 2) == (code, err, len(lines))
    assert lines[1].startswith("ignored column(s) created, id, mood: not feedback fields (")
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


async def test_post_with_the_database_down_is_a_503_not_a_500(settings: FeedbackSettings) -> None:
    """The store refusing connections: 503 with Retry-After and one line, for the sender to
    retry; nothing is claimed stored."""
    down = FeedbackLedger(sa.create_engine(UNREACHABLE, poolclass=sa.NullPool))
    app = Starlette(routes=FeedbackIntake(settings, down, TOKEN).routes())
    async with live_server(app) as base, httpx.AsyncClient() as http:
        response = await http.post(f"{base}/feedback", json=GOOD_JSON[0], headers=AUTH)
    assert (503, "60", 1) == (
        response.status_code,
        response.headers.get("retry-after"),
        len(response.json()["error"].splitlines()),
    )
    assert response.json()["error"].startswith("feedback store unavailable: ")
