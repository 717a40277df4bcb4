"""How `review status` shows emails that could not be sent (the owner was told of each)."""

from __future__ import annotations

from opsrhythm.platform.models import DeliveryResult, FailedRecipient
from opsrhythm.rituals.strategy_review.models import ReviewStatus
from opsrhythm.rituals.strategy_review.views import review_json, review_lines

RUN_ID = "0f8c2a4e-6b1d-4c3e-9a7f-1e2d3c4b5a69"
REFUSED = "HTTP 401: The provided authorization grant is invalid, expired, or revoked"


def test_undelivered_emails_are_listed_with_their_reason() -> None:
    """Text and JSON name the email (without its run id), the recipient and the error."""
    status = ReviewStatus(
        workflow_id="quarterly-strategy-review-2026-Q4",
        ritual_id="quarterly-strategy-review",
        period="2026-Q4",
        stage="collecting",
        undelivered=[
            DeliveryResult(
                audience_id="owners",
                message_kind=f"kick-off-{RUN_ID}",
                failed=[FailedRecipient(email="emma@acme.example", error=REFUSED)],
            )
        ],
    )
    assert f"  not delivered: kick-off to emma@acme.example: {REFUSED}" in review_lines(status)
    assert [{"emails": "kick-off", "email": "emma@acme.example", "error": REFUSED}] == (
        review_json(status)["undelivered"]
    )
