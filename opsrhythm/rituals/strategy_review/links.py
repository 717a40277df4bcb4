"""Signed links to an owner's status-update form: one item, one owner, one run of a review.

Unlike an approval link, a review link is not spent when used: an owner may resubmit (each
version is kept) until the link expires. The token is signed for this purpose only, so an
approval or feedback token is worthless here and the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

from opsrhythm.platform.approvals.links import (
    ForgedLink,
    LinkSigner,
    public_url,
    signer_from_environment,
)

PURPOSE = "review-submit"


@dataclass(frozen=True)
class ReviewLinkClaims:
    workflow_id: str
    run_id: str
    item_id: str
    owner: str
    expires: datetime
    nonce: str


def submit_path(workflow_id: str, item_id: str) -> str:
    return f"/reviews/{quote(workflow_id, safe='')}/items/{quote(item_id, safe='')}"


class ReviewLinks:
    """Issues the owners' form links for the emails; the web form checks them with ``verify``."""

    def __init__(self, signer: LinkSigner, base_url: str) -> None:
        self.signer = signer
        self.base_url = base_url.rstrip("/")

    def token(
        self, workflow_id: str, run_id: str, item_id: str, owner_email: str, expires: datetime
    ) -> str:
        claims = {"w": workflow_id, "u": run_id, "i": item_id, "a": owner_email.strip().lower()}
        return self.signer.sign(PURPOSE, claims, expires)

    def submit_url(
        self, workflow_id: str, run_id: str, item_id: str, owner_email: str, expires: datetime
    ) -> str:
        """The form for ``owner_email``'s update on ``item_id`` in this run, until ``expires``."""
        token = self.token(workflow_id, run_id, item_id, owner_email, expires)
        query = urlencode({"token": token})
        return f"{self.base_url}{submit_path(workflow_id, item_id)}?{query}"

    def verify(self, token: str, now: datetime | None = None) -> ReviewLinkClaims:
        """The claims of a genuine, unexpired review token; ForgedLink or ExpiredLink otherwise."""
        return verify_review_token(self.signer, token, now)


def verify_review_token(
    signer: LinkSigner, token: str, now: datetime | None = None
) -> ReviewLinkClaims:
    claims = signer.open(PURPOSE, token, now)
    try:
        return ReviewLinkClaims(
            workflow_id=str(claims["w"]),
            run_id=str(claims["u"]),
            item_id=str(claims["i"]),
            owner=str(claims["a"]),
            expires=claims["expires"],
            nonce=claims["nonce"],
        )
    except (KeyError, TypeError, ValueError):
        raise ForgedLink("This link is not valid.") from None


def review_links_from_environment() -> ReviewLinks | None:
    """Links when OPSRHYTHM_SECRET is set; without it, emails give only the CLI command."""
    signer = signer_from_environment()
    return ReviewLinks(signer, public_url()) if signer else None
