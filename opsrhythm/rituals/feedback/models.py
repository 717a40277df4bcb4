"""Feedback items and their routing, as stored in the feedback ledger and passed between steps."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from pydantic import BaseModel, Field

from opsrhythm.platform.config_types import Email
from opsrhythm.rituals.feedback.config import Priority
from opsrhythm.rituals.feedback.vocabulary import OPEN, FeedbackSource


def snippet(text: str, limit: int) -> str:
    """Untrusted text on one line, cut to ``limit``: it cannot add lines, such as a fake
    'Resolve:' link, to a plain-text email."""
    return " ".join(text.split())[:limit]


class FeedbackInput(BaseModel):
    """One piece of feedback as it arrives: a CSV row, a JSON line, a CLI or HTTP submission."""

    text: str = Field(min_length=1, max_length=10_000)
    submitter: Email
    source: FeedbackSource = "customer"
    customer: str | None = None
    segment: str | None = None
    arr: float | None = Field(default=None, ge=0)
    created_at: datetime
    tags: list[str] = Field(default_factory=list)

    def content_hash(self) -> str:
        """Stable over re-imports of the same row, so a second import adds nothing."""
        payload = self.model_dump(mode="json")
        payload["text"] = " ".join(self.text.split())
        payload["submitter"] = self.submitter.lower()
        payload["tags"] = sorted(self.tags)
        encoded = json.dumps(payload, sort_keys=True).encode()
        return hashlib.sha256(encoded).hexdigest()

    def item_id(self) -> str:
        return "fb-" + self.content_hash()[:12]


class Routing(BaseModel):
    """Where triage sent an item, and why."""

    area: str
    owner_team: str
    assignee: str
    priority: Priority
    score: float
    rule: str | None = Field(description="The rule that matched; None for the triage queue.")
    reasons: list[str] = Field(default_factory=list)


class FeedbackItem(FeedbackInput):
    """A stored item: the input, its id and its routing."""

    id: str
    status: str = OPEN
    area: str
    owner_team: str
    assignee: str
    priority: Priority
    score: float
    rule: str | None = None
    duplicate_of: str | None = None
    due_at: datetime | None = None
    """When the item must be acknowledged by (its priority's SLA from triage)."""
    warn_at: datetime | None = None
    warned_at: datetime | None = None
    escalated_at: datetime | None = None
