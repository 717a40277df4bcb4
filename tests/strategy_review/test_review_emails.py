"""The review's kick-off, reminder and escalation emails: one per owner or manager, only
their items, their links and their actions, their timezone, never a secret."""

from __future__ import annotations

import re
import stat
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from temporalio.testing import ActivityEnvironment

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.approvals.links import PUBLIC_URL_ENV, SECRET_ENV
from opsrhythm.rituals.strategy_review.config import StrategyReviewRitual
from opsrhythm.rituals.strategy_review.links import ReviewLinks, review_links_from_environment
from opsrhythm.rituals.strategy_review.models import ReviewEmailInput, ReviewEmails
from opsrhythm.rituals.strategy_review.plan import review_plan
from opsrhythm.rituals.strategy_review.rendering import submit_command
from tests.strategy_review.content_samples import (
    CHLOE,
    EMMA,
    GRACE,
    PUBLIC_URL,
    SIGNER,
    WORKFLOW,
    action,
    activities,
    every_file_text,
    plan,
    read_email,
)

LINKS = ReviewLinks(SIGNER, PUBLIC_URL)
URL = re.compile(r"https://ops\.acme\.example/reviews/[^\s\"<]+")


def render(
    config: OpsRhythmConfig,
    archive: Path,
    kind: str = "kick-off",
    links: ReviewLinks | None = LINKS,
    **changes: object,
) -> ReviewEmails:
    review = plan()
    input = ReviewEmailInput(
        workflow_id=WORKFLOW, run_id="run-1", plan=review, kind=kind, items=review.items
    ).model_copy(update=changes)
    return ActivityEnvironment().run(activities(config, archive, links).render_review_emails, input)


def by_recipient(emails: ReviewEmails) -> dict[str, list[str]]:
    return {m.recipient.email: m.item_ids for m in emails.messages}


def test_kick_off_one_email_per_owner_with_only_their_items(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """Each owner's email names their own item and no other owner's item or address."""
    emails = render(example_config, tmp_path)
    assert {
        CHLOE.email: ["grow-revenue"],
        GRACE.email: ["reduce-churn"],
        EMMA.email: ["insights"],
    } == by_recipient(emails)
    others = {"grow-revenue": "Grow MRR", "reduce-churn": "Cut churn", "insights": "Insights"}
    for message in emails.messages:
        email = read_email(message.path)
        [own] = message.item_ids
        for body in (email.html, email.text):
            assert others[own] in body
            for item_id, title in others.items():
                if item_id != own:
                    assert title not in body
                    assert item_id not in body
            for person in (CHLOE, GRACE, EMMA):
                if person.email != message.recipient.email:
                    assert person.email not in body


def test_each_link_is_for_its_owner_item_and_run(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """The form link in Grace's email verifies as Grace's, for her item, in this run."""
    emails = render(example_config, tmp_path)
    message = next(m for m in emails.messages if m.recipient.email == GRACE.email)
    email = read_email(message.path)
    [url] = set(URL.findall(email.text))
    assert url.replace("&", "&amp;") in email.html
    claims = LINKS.verify(parse_qs(urlparse(url).query)["token"][0])
    assert (WORKFLOW, "run-1", "reduce-churn", GRACE.email) == (
        claims.workflow_id,
        claims.run_id,
        claims.item_id,
        claims.owner,
    )
    assert claims.expires > plan().meeting_at


def test_fields_command_and_due_date_in_the_owners_timezone(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """Grace (New York) sees the due date in her zone, the fields asked for and the command."""
    emails = render(example_config, tmp_path, kind="reminder")
    message = next(m for m in emails.messages if m.recipient.email == GRACE.email)
    email = read_email(message.path)
    assert "Fri 08 Jan 2027 04:00 America/New_York" in email.subject
    command = submit_command("2026-Q4", GRACE.email, "reduce-churn")
    assert "--status green|amber|red --confidence N --narrative-file FILE" in command
    for body in (email.html, email.text):
        assert "Fri 08 Jan 2027 04:00 America/New_York" in body
        assert command in body
        assert "Acme Analytics" in body
        for field in ("RAG", "confidence", "narrative", "risks", "asks"):
            assert field in body
    assert email.subject.startswith("Reminder:")


def test_only_the_owners_open_actions(example_config: OpsRhythmConfig, tmp_path: Path) -> None:
    """Chloé's kick-off lists her open action to update; Grace's never shows it."""
    actions = [action("Reprice the Team plan", CHLOE, "a-1"), action("Exit survey", GRACE, "a-2")]
    emails = render(example_config, tmp_path, open_actions=actions)
    emails_of = {m.recipient.email: read_email(m.path) for m in emails.messages}
    assert "Reprice the Team plan" in emails_of[CHLOE.email].html
    assert "Reprice the Team plan (--action a-1=done, due 2027-01-15" in emails_of[CHLOE.email].text
    assert "--action" not in emails_of[EMMA.email].text
    assert "Exit survey" not in emails_of[CHLOE.email].text
    assert "Reprice the Team plan" not in emails_of[GRACE.email].html
    assert "Reprice the Team plan" not in emails_of[EMMA.email].text


def test_escalation_goes_to_managers_without_form_links(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """Managers get their late owners' items, no form link; an item with no manager goes to
    the ritual's owner so it is never left untold."""
    emails = render(example_config, tmp_path, kind="escalation")
    assert {
        "ben@acme.example": ["grow-revenue"],
        "dev@acme.example": ["reduce-churn"],
        "ana@acme.example": ["insights"],
    } == by_recipient(emails)
    for message in emails.messages:
        email = read_email(message.path)
        assert not URL.search(email.html + email.text)
        assert email.subject.startswith("Late:")
    ben = read_email(emails.messages[0].path)
    assert "Chloé Dubois (chloe@acme.example)" in ben.text
    assert "Fri 08 Jan 2027 09:00 Europe/London" in ben.text


def test_without_links_the_email_gives_the_command(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    emails = render(example_config, tmp_path, links=None)
    email = read_email(emails.messages[0].path)
    assert not URL.search(email.html + email.text)
    assert "Form links are off" in email.html
    assert submit_command("2026-Q4", CHLOE.email, "grow-revenue") in email.text


def test_no_secret_in_any_email_and_files_are_private(
    example_config: OpsRhythmConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Links signed with the environment's secret; the secret itself appears in no file."""
    secret = "s3cret-from-the-environment-0123456789"
    monkeypatch.setenv(SECRET_ENV, secret)
    monkeypatch.setenv(PUBLIC_URL_ENV, PUBLIC_URL)
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://u:hunter2-password@db/x")
    emails = render(example_config, tmp_path, links=review_links_from_environment())
    files = every_file_text(tmp_path / WORKFLOW / "review-emails")
    assert len(emails.messages) == len(files)
    for path, text in files.items():
        assert secret not in text
        assert "hunter2-password" not in text
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert URL.search(read_email(emails.messages[0].path).text)


def test_kick_off_from_the_example_config(example_config: OpsRhythmConfig, tmp_path: Path) -> None:
    """The example review's plan renders every owner's kick-off from the shipped templates."""
    ritual = example_config.ritual("quarterly-strategy-review")
    assert isinstance(ritual, StrategyReviewRitual)
    review = review_plan(example_config, ritual, "2026-Q4", datetime(2027, 1, 4, 9, tzinfo=UTC))
    input = ReviewEmailInput(
        workflow_id=WORKFLOW, run_id="run-1", plan=review, kind="kick-off", items=review.items
    )
    emails = ActivityEnvironment().run(
        activities(example_config, tmp_path, LINKS).render_review_emails, input
    )
    owners = {item.owner.email for item in review.items}
    assert owners == {m.recipient.email for m in emails.messages}
    assert len(owners) >= 3
    for message in emails.messages:
        email = read_email(message.path)
        assert "Acme Analytics" in email.html
        assert all(item_id in email.text for item_id in message.item_ids)


def test_a_decision_is_on_record_not_to_update(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """Chloé's decision is listed as decided, for reference, to every owner; nobody is asked
    to mark it done."""
    decision = action("No price change before Q2", CHLOE, "d-1").model_copy(
        update={"kind": "decision"}
    )
    emails = render(example_config, tmp_path, open_actions=[decision])
    chloe = read_email(next(m.path for m in emails.messages if m.recipient.email == CHLOE.email))
    emma = read_email(next(m.path for m in emails.messages if m.recipient.email == EMMA.email))
    for body in (chloe.text, emma.text):
        assert "No price change before Q2 (decided 2027-01-15, 2026-Q3)" in body
        assert "--action d-1" not in body
    assert "Decisions on record" in chloe.html
