"""The owners' email after an approver asks for changes: the comment, their own form link and
command, and nothing of anyone else's (review finding 10)."""

from __future__ import annotations

import re
from pathlib import Path

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.mail.notices import message_kind, webhook_text
from opsrhythm.platform.models import FailedRecipient, Recipient, UndeliveredNoticeInput
from tests.strategy_review.content_samples import CHLOE, EMMA, GRACE, read_email
from tests.strategy_review.test_review_emails import URL, render

COMMENT = "dev@acme.example: Revenue is amber now; say what slipped"


def test_every_owner_gets_the_comment_and_their_own_link(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """One email per owner with the approvers' comment, their item's link and command only."""
    emails = render(example_config, tmp_path, kind="changes-requested", comment=COMMENT)
    assert {CHLOE.email, EMMA.email, GRACE.email} == {m.recipient.email for m in emails.messages}
    for message in emails.messages:
        email = read_email(message.path)
        assert email.subject.startswith("Changes requested:")
        assert COMMENT in email.text and "Revenue is amber now" in email.html
        [own] = message.item_ids
        assert f"--item {own} " in email.text and 1 == len(set(URL.findall(email.text)))
        others = {CHLOE.email, EMMA.email, GRACE.email} - {message.recipient.email}
        assert not [o for o in others if o in email.text + email.html]


def test_an_undelivered_notice_is_keyed_by_its_batch_and_says_how_to_follow() -> None:
    """A kick-off and a reminder failing in one run are two notices; the webhook's line names
    who, why and the status command."""
    notice = UndeliveredNoticeInput(
        workflow_id="quarterly-strategy-review-2026-Q4",
        run_id="run-1",
        ritual_id="quarterly-strategy-review",
        ritual_name="Quarterly strategy review",
        period="2026-Q4",
        owner=Recipient(name="Ana Silva", email="ana@acme.example"),
        label="kick-off",
        failed=[FailedRecipient(email=EMMA.email, error="HTTP 400: not a valid address")],
        status_command="opsrhythm status quarterly-strategy-review-2026-Q4",
    )
    reminder = notice.model_copy(update={"label": "reminder-1"})
    assert ("undelivered-kick-off-run-1", "undelivered-reminder-1-run-1") == (
        message_kind(notice),
        message_kind(reminder),
    )
    line = webhook_text(notice, "SendGrid 401")
    assert re.search(rf"kick-off not delivered to 1 recipient\(s\) \({EMMA.email}: HTTP 400", line)
    assert "opsrhythm status quarterly-strategy-review-2026-Q4" in line
