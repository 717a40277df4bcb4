"""Rows with every kind of bad input, and the reason each is quarantined with: shared by the
import and ``POST /feedback`` tests."""

from __future__ import annotations

from datetime import UTC, datetime

from opsrhythm.config_loader import load_config
from opsrhythm.rituals.feedback.config import FeedbackSettings
from tests.conftest import EXAMPLE_CONFIG

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


def mapped_settings() -> FeedbackSettings:
    """The example's feedback section, with the columns the files here use mapped."""
    feedback = load_config(EXAMPLE_CONFIG).feedback
    assert feedback is not None
    return feedback.model_copy(update={"columns": {"created": "created_at", "id": "external_id"}})
