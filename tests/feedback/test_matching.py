"""Keywords match plurals and simple word forms, both ways, and nothing beyond an ending."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opsrhythm.config_loader import load_config
from opsrhythm.rituals.feedback.models import FeedbackInput
from opsrhythm.rituals.feedback.rules import route
from opsrhythm.rituals.feedback.word_forms import contains_phrase, word_stem
from tests.conftest import EXAMPLE_CONFIG


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("Two invoices were wrong", "invoice"),
        ("Invoicing breaks for us", "invoice"),
        ("We were invoiced twice", "invoices"),
        ("Monthly reports are slow", "report"),
        ("Passwords expire too often", "password"),
        ("More chart categories", "category"),
        ("The billing page", "bills"),
        ("Exporting fails", "export"),
        ("Signing up fails on mobile", "sign up"),
        ("Audit logs are missing", "audit log"),
        ("Please add e-mail digests", "e-mail"),
        ("SSO please", "sso"),
    ],
)
def test_word_forms_match(text: str, keyword: str) -> None:
    assert contains_phrase(text, keyword)


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("Reporter names are wrong", "report"),
        ("The support portal is down", "port"),
        ("Sign in then up", "sign up"),
        ("Email me", "e-mail"),
        ("The status page", "stat"),
        ("", "invoice"),
    ],
)
def test_other_words_do_not_match(text: str, keyword: str) -> None:
    assert not contains_phrase(text, keyword)


def test_stems_keep_short_words_and_double_letters() -> None:
    assert [word_stem(w) for w in ("api", "2fa", "billing", "planned", "addresses")] == [
        "api",
        "2fa",
        "bill",
        "plan",
        "address",
    ]


@pytest.mark.parametrize(
    ("text", "area"),
    [
        ("Our invoices show VAT twice", "billing"),
        ("Scheduled reports arrive empty", "reporting"),
        ("Passwords cannot be reset", "security"),
    ],
)
def test_example_rules_route_plurals(text: str, area: str) -> None:
    """The issue's examples no longer fall to the triage queue under the example's rules."""
    settings = load_config(EXAMPLE_CONFIG).feedback
    assert settings is not None
    item = FeedbackInput(text=text, submitter="a@acme.test", created_at=datetime.now(UTC))
    assert route(item, settings, 0).area == area
