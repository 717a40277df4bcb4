"""Signed links to acknowledge or resolve one feedback item, as one person, once.

The token binds the item, the person and the action, and expires; it is signed for this
purpose only, so an approval link's token is worthless here and the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import quote, urlencode

from opsrhythm.platform.approvals.links import (
    ForgedLink,
    LinkSigner,
    public_url,
    signer_from_environment,
)

PURPOSE = "feedback-action"
Action = Literal["ack", "resolve"]
ACTIONS: tuple[Action, ...] = ("ack", "resolve")
LINK_LIFETIME = timedelta(days=30)
"""Resolving can take weeks after the warning; an older email still has the CLI command."""


@dataclass(frozen=True)
class ActionClaims:
    item_id: str
    actor: str
    action: Action
    expires: datetime
    nonce: str


class ActionLinks:
    """Issues the links for the emails; the web app checks them with ``verify_action``."""

    def __init__(self, signer: LinkSigner, base_url: str) -> None:
        self.signer = signer
        self.base_url = base_url.rstrip("/")

    def for_item(self, item_id: str, actor: str) -> dict[str, str]:
        expires = datetime.now(UTC) + LINK_LIFETIME
        links: dict[str, str] = {}
        for action in ACTIONS:
            claims = {"i": item_id, "a": actor.strip().lower(), "x": action}
            token = self.signer.sign(PURPOSE, claims, expires)
            links[action] = f"{self.base_url}{action_path(item_id, action)}?" + urlencode(
                {"token": token}
            )
        return links


def verify_action(signer: LinkSigner, token: str) -> ActionClaims:
    """The claims of a genuine, unexpired action token; LinkError otherwise."""
    claims = signer.open(PURPOSE, token)
    action = claims.get("x")
    if action not in ACTIONS:
        raise ForgedLink("This link is not valid.")
    return ActionClaims(
        item_id=str(claims.get("i")),
        actor=str(claims.get("a")),
        action=action,
        expires=claims["expires"],
        nonce=claims["nonce"],
    )


def action_path(item_id: str, action: str) -> str:
    return f"/feedback/items/{quote(item_id, safe='')}/{action}"


def links_from_environment() -> ActionLinks | None:
    """Links when OPSRHYTHM_SECRET is set; without it, emails give only the CLI commands."""
    signer = signer_from_environment()
    return ActionLinks(signer, public_url()) if signer else None
