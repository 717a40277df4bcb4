"""Near-duplicates: detection, linking with every submitter kept, manual merge and unmerge."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsrhythm.config_loader import load_config
from opsrhythm.rituals.feedback.config import Dedupe, FeedbackSettings
from opsrhythm.rituals.feedback.dedupe import DuplicateIndex, similarity
from opsrhythm.rituals.feedback.intake import parse_record
from opsrhythm.rituals.feedback.ledger import FeedbackLedger
from opsrhythm.rituals.feedback.merging import MergeError, merge, unmerge
from opsrhythm.rituals.feedback.triage import triage_chunk

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme" / "opsrhythm.yaml"
NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def settings() -> FeedbackSettings:
    feedback = load_config(EXAMPLE).feedback
    assert feedback is not None
    return feedback


def submit(
    ledger: FeedbackLedger, settings: FeedbackSettings, text: str, who: str, customer: str = ""
) -> str:
    record = {"text": text, "submitter": who, "customer": customer}
    row = parse_record(record, line=1, raw=text + who, now=NOW)
    triage_chunk([row], settings, ledger, origin="test", now=NOW)
    return row.item_id


def test_similarity_ignores_case_punctuation_and_stop_words() -> None:
    """Word-set Jaccard: the same words in another order and case are identical."""
    assert 1.0 == similarity("Export to CSV, please!", "please export the csv")


@pytest.mark.parametrize(
    ("customer", "expected"),
    [("Globex", "orig"), ("Initech", None)],
)
def test_same_customer_needs_less_similarity(customer: str, expected: str | None) -> None:
    """A half-similar text is a duplicate only from the same customer (0.5 vs 0.8 thresholds)."""
    index = DuplicateIndex(Dedupe(same_customer=0.5, any_customer=0.8))
    index.add("orig", "slow dashboard export takes minutes", "Globex")
    assert expected == index.original_of("dashboard export slow today", customer)


def test_very_similar_text_is_a_duplicate_whoever_sends_it() -> None:
    """Above the any-customer threshold the customer does not matter."""
    index = DuplicateIndex(Dedupe())
    index.add("orig", "SAML SSO for enterprise login", "Globex")
    assert "orig" == index.original_of("Enterprise login with SAML SSO", None)


def test_duplicate_is_linked_and_its_submitter_kept(
    settings: FeedbackSettings, ledger: FeedbackLedger
) -> None:
    """The original collects the duplicate's submitter; the duplicate points at the original."""
    original = submit(ledger, settings, "Refund the double invoice", "a@acme.test", "Globex")
    dup = submit(ledger, settings, "Refund double invoice please", "b@acme.test", "Globex")
    stored = ledger.get(dup)
    assert stored is not None
    assert (original, "duplicate", ["a@acme.test", "b@acme.test"]) == (
        stored.duplicate_of,
        stored.status,
        ledger.submitters_of(original),
    )


def test_unmerge_restores_both_items(settings: FeedbackSettings, ledger: FeedbackLedger) -> None:
    """Unmerging reopens the duplicate and takes its submitter off the original."""
    original = submit(ledger, settings, "Refund the double invoice", "a@acme.test", "Globex")
    dup = submit(ledger, settings, "Refund double invoice please", "b@acme.test", "Globex")
    unmerge(ledger, dup, "ana@acme.test")
    stored = ledger.get(dup)
    assert stored is not None
    assert (None, "new", ["a@acme.test"]) == (
        stored.duplicate_of,
        stored.status,
        ledger.submitters_of(original),
    )


def test_manual_merge_then_history(settings: FeedbackSettings, ledger: FeedbackLedger) -> None:
    """A hand merge links two unrelated-looking items and writes it in both histories."""
    original = submit(ledger, settings, "Dark mode", "a@acme.test")
    other = submit(ledger, settings, "Night theme for the app", "b@acme.test")
    merge(ledger, other, original, "ana@acme.test")
    assert ("merged", f"{other} from b@acme.test") == ledger.events(original)[-1][1:]


def test_unmerge_of_an_original_is_refused(
    settings: FeedbackSettings, ledger: FeedbackLedger
) -> None:
    """Only a linked item can be unmerged."""
    original = submit(ledger, settings, "Dark mode", "a@acme.test")
    with pytest.raises(MergeError, match="is not linked"):
        unmerge(ledger, original, "ana@acme.test")
