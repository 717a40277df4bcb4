"""Signed links to a participant's retro page: one participant, one run of a retro.

The same link serves the whole retro: the page shows the participant's own items while
collection is open and the voting form while voting is. It is not spent when used, only when it
expires. The token is signed for this purpose only, so a review or approval token is worthless
here and the other way round. The email is in the token because the page must derive the
participant's author key from it; the store never keeps it.
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

PURPOSE = "retro-participant"


@dataclass(frozen=True)
class RetroLinkClaims:
    workflow_id: str
    run_id: str
    email: str
    expires: datetime
    nonce: str


def form_path(workflow_id: str) -> str:
    return f"/retros/{quote(workflow_id, safe='')}"


class RetroLinks:
    """Issues the participants' links for the emails; the web pages check them with ``verify``."""

    def __init__(self, signer: LinkSigner, base_url: str) -> None:
        self.signer = signer
        self.base_url = base_url.rstrip("/")

    def token(self, workflow_id: str, run_id: str, email: str, expires: datetime) -> str:
        claims = {"w": workflow_id, "u": run_id, "a": email.strip().lower()}
        return self.signer.sign(PURPOSE, claims, expires)

    def form_url(self, workflow_id: str, run_id: str, email: str, expires: datetime) -> str:
        """``email``'s page in this retro (items, then votes), until ``expires``."""
        query = urlencode({"token": self.token(workflow_id, run_id, email, expires)})
        return f"{self.base_url}{form_path(workflow_id)}?{query}"

    def verify(self, token: str, now: datetime | None = None) -> RetroLinkClaims:
        """The claims of a genuine, unexpired retro token; ForgedLink or ExpiredLink otherwise."""
        return verify_retro_token(self.signer, token, now)


def verify_retro_token(
    signer: LinkSigner, token: str, now: datetime | None = None
) -> RetroLinkClaims:
    claims = signer.open(PURPOSE, token, now)
    try:
        return RetroLinkClaims(
            workflow_id=str(claims["w"]),
            run_id=str(claims["u"]),
            email=str(claims["a"]),
            expires=claims["expires"],
            nonce=claims["nonce"],
        )
    except (KeyError, TypeError, ValueError):
        raise ForgedLink("This link is not valid.") from None


def retro_links_from_environment() -> RetroLinks | None:
    """Links when OPSRHYTHM_SECRET is set; without it, emails give only the CLI command."""
    signer = signer_from_environment()
    return RetroLinks(signer, public_url()) if signer else None
