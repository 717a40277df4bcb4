"""Signed approval links and their single-use record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opsrhythm.config_loader import ConfigError
from opsrhythm.platform.approvals.links import (
    ExpiredLink,
    ForgedLink,
    LinkSigner,
    signer_from_environment,
)
from opsrhythm.platform.approvals.store import UsedLinks
from tests.databases import sqlite_url

SIGNER = LinkSigner("a-secret-that-is-long-enough")
LATER = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


def test_token_round_trips_its_claims() -> None:
    """A token names the workflow, round and approver (lower-cased) it was issued for."""
    claims = SIGNER.verify(SIGNER.issue("wf-1", 2, "Dev@Acme.example", LATER), LATER - timedelta(1))
    assert ("wf-1", 2, "dev@acme.example", LATER) == (
        claims.workflow_id,
        claims.round,
        claims.approver,
        claims.expires,
    )


def test_token_names_the_run_that_asked() -> None:
    """A link is bound to its run: the claims carry the run id it was issued for."""
    token = SIGNER.issue("wf-1", 1, "dev@acme.example", LATER, run_id="run-b")
    assert "run-b" == SIGNER.verify(token, LATER - timedelta(1)).run_id


def test_token_from_before_run_ids_has_none() -> None:
    """A token signed without a run (issued before links named their run) reads as run ''."""
    legacy = SIGNER.sign("link", {"w": "wf-1", "r": 1, "a": "dev@acme.example"}, LATER)
    assert "" == SIGNER.verify(legacy, LATER - timedelta(1)).run_id


def test_owner_redraft_link_is_not_an_approval_link() -> None:
    """The owner's redraft token cannot decide, and an approval token cannot redraft."""
    redraft = SIGNER.issue("wf-1", 1, "ana@acme.example", LATER, "run-a", purpose="redraft")
    approval = SIGNER.issue("wf-1", 1, "ana@acme.example", LATER, "run-a")
    with pytest.raises(ForgedLink):
        SIGNER.verify(redraft, LATER - timedelta(1))
    with pytest.raises(ForgedLink):
        SIGNER.verify(approval, LATER - timedelta(1), purpose="redraft")


def test_altered_claims_are_forged() -> None:
    """Changing any character of the claims breaks the signature."""
    token = SIGNER.issue("wf-1", 1, "dev@acme.example", LATER)
    body, _, signature = token.partition(".")
    tampered = ("A" if body[0] != "A" else "B") + body[1:] + "." + signature
    with pytest.raises(ForgedLink):
        SIGNER.verify(tampered, LATER - timedelta(1))


def test_other_secret_is_forged() -> None:
    """A token signed with another secret is refused."""
    token = LinkSigner("another-secret-long-enough").issue("wf-1", 1, "dev@acme.example", LATER)
    with pytest.raises(ForgedLink):
        SIGNER.verify(token, LATER - timedelta(1))


def test_a_token_for_another_purpose_is_forged() -> None:
    """A feedback action token cannot pass as an approval link, nor the other way round."""
    expires = datetime.now(UTC) + timedelta(hours=1)
    feedback = SIGNER.sign("feedback-action", {"i": "fb-1", "a": "x@y.z", "x": "ack"}, expires)
    approval = SIGNER.issue("wf", 1, "x@y.z", expires)
    with pytest.raises(ForgedLink):
        SIGNER.verify(feedback)
    with pytest.raises(ForgedLink):
        SIGNER.open("feedback-action", approval)


@pytest.mark.parametrize("token", ["x.é", "é.x", "\u00e9", ""])
def test_non_ascii_or_empty_tokens_are_forged_not_crashes(token: str) -> None:
    with pytest.raises(ForgedLink):
        SIGNER.verify(token)


def test_expired_token_is_refused() -> None:
    """At its expiry a token stops working."""
    with pytest.raises(ExpiredLink):
        SIGNER.verify(SIGNER.issue("wf-1", 1, "dev@acme.example", LATER), LATER)


def test_csrf_value_is_bound_to_link_and_browser() -> None:
    """The form value only matches the same link in the same browser."""
    value = SIGNER.csrf_value("token-a", "browser-1")
    assert (True, False, False, False) == (
        SIGNER.csrf_ok("token-a", "browser-1", value),
        SIGNER.csrf_ok("token-b", "browser-1", value),
        SIGNER.csrf_ok("token-a", "browser-2", value),
        SIGNER.csrf_ok("token-a", "", value),
    )


def test_short_secret_is_refused() -> None:
    """A guessable secret is a configuration error, named after its variable."""
    with pytest.raises(ConfigError) as error:
        signer_from_environment({"OPSRHYTHM_SECRET": "short"})
    assert "environment: OPSRHYTHM_SECRET: must be at least 16 characters long" == str(error.value)


def test_no_secret_means_no_links() -> None:
    """Without OPSRHYTHM_SECRET there is no signer, so emails carry commands only."""
    assert signer_from_environment({}) is None


def test_link_is_claimed_once(tmp_path: Path) -> None:
    """The first claim of a nonce wins; a second is refused until released."""
    used = UsedLinks.from_url(sqlite_url(tmp_path / "links.db"))
    first = used.claim("n1", "wf-1", "dev@acme.example", "approve")
    second = used.claim("n1", "wf-1", "dev@acme.example", "approve")
    used.release("n1")
    third = used.claim("n1", "wf-1", "dev@acme.example", "approve")
    used.close()
    assert (True, False, True) == (first, second, third)
