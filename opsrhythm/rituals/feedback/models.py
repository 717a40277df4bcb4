"""Feedback items and their routing, as stored in the feedback ledger and passed between steps."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from opsrhythm.platform.config_types import Email
from opsrhythm.rituals.feedback.config import Priority
from opsrhythm.rituals.feedback.vocabulary import OPEN, FeedbackSource


def snippet(text: str, limit: int) -> str:
    """Untrusted text on one line, cut to ``limit``: it cannot add lines, such as a fake
    'Resolve:' link, to a plain-text email."""
    return " ".join(text.split())[:limit]


UNENCODABLE = re.compile("[\ud800-\udfff]")
"""Lone surrogates: what a byte that is not UTF-8 becomes when read with ``surrogateescape``."""


def storable(value: str) -> str:
    """Refuse what a database column cannot hold: NUL (PostgreSQL text) and lone surrogates
    (left by a byte that was not UTF-8, or a JSON ``\\ud800`` escape)."""
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    if UNENCODABLE.search(value):
        raise ValueError("is not valid UTF-8 (re-export the file as UTF-8)")
    return value


Storable = AfterValidator(storable)


class FeedbackInput(BaseModel):
    """One piece of feedback as it arrives: a CSV row, a JSON line, a CLI or HTTP submission.

    Lengths are the ledger's column sizes, so a row that validates can always be stored."""

    text: Annotated[str, Field(min_length=1, max_length=10_000), Storable]
    submitter: Annotated[Email, Field(max_length=320), Storable]
    source: FeedbackSource = "customer"
    customer: Annotated[str, Field(max_length=255), Storable] | None = None
    segment: Annotated[str, Field(max_length=64), Storable] | None = None
    arr: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    created_at: datetime
    tags: list[Annotated[str, Storable]] = Field(default_factory=list)
    external_id: Annotated[str, Field(max_length=255), Storable] | None = Field(
        default=None, description="The row's id in the system it came from."
    )

    def content_hash(self) -> str:
        """Stable over re-imports of the same row, so a second import adds nothing."""
        payload = self.model_dump(mode="json")
        if payload.get("external_id") is None:
            payload.pop("external_id", None)
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
