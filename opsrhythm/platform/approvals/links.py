"""Signed links in emails: approval links (one per approver and request) and, through ``sign``
and ``open``, any other, such as the feedback ack and resolve links; and CSRF values.

A token is ``<claims>.<signature>``: base64url JSON claims (for approvals: workflow id, run
id, round, approver; always an expiry and a nonce) and their HMAC-SHA256 under OPSRHYTHM_SECRET,
keyed by the link's purpose so that a token for one kind of link is refused by every other. It
proves that OpsRhythm sent this link to this person; single use is recorded in the database
(``approvals.store``), not in the token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from opsrhythm.platform.config_errors import ConfigError, ConfigProblem

SECRET_ENV = "OPSRHYTHM_SECRET"
PUBLIC_URL_ENV = "OPSRHYTHM_PUBLIC_URL"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"
MIN_SECRET_LENGTH = 16
APPROVAL_PURPOSE = "link"
REDRAFT_PURPOSE = "redraft"
REDRAFT_LINK_LIFETIME = timedelta(days=14)
"""How long the owner's redraft link works when no automatic redraft is due sooner."""


class LinkError(Exception):
    """A link that must not be honoured; ``status`` is the HTTP status to answer with."""

    status = 403


class ForgedLink(LinkError):
    status = 403


class ExpiredLink(LinkError):
    status = 410


@dataclass(frozen=True)
class LinkClaims:
    workflow_id: str
    round: int
    approver: str
    expires: datetime
    nonce: str
    run_id: str = ""
    """The run that asked; "" for a token issued before links named their run."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _same(given: str, expected: str) -> bool:
    # Bytes: compare_digest refuses a str with non-ASCII characters, which anyone can send.
    return hmac.compare_digest(given.encode(), expected.encode())


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LinkSigner:
    def __init__(self, secret: str) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_LENGTH} characters long")
        self._key = secret.encode()

    def _mac(self, purpose: str, *parts: str) -> str:
        message = "\0".join((purpose, *parts)).encode()
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def sign(self, purpose: str, claims: dict[str, Any], expires: datetime) -> str:
        """A token carrying ``claims``, an expiry and a nonce, valid only for ``purpose``."""
        body = claims | {"e": int(expires.timestamp()), "n": secrets.token_hex(16)}
        encoded = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{encoded}.{self._mac(purpose, encoded)}"

    def open(self, purpose: str, token: str, now: datetime | None = None) -> dict[str, Any]:
        """The claims of a token signed here for ``purpose``, with ``expires`` and ``nonce``.

        ForgedLink if it was not signed here (or for another purpose), ExpiredLink if too old.
        """
        body, _, signature = token.partition(".")
        if not body or not _same(signature, self._mac(purpose, body)):
            raise ForgedLink(
                "This link is not valid: it was not issued by OpsRhythm or was altered."
            )
        try:
            claims = dict(json.loads(_unb64(body)))
            claims["expires"] = datetime.fromtimestamp(int(claims.pop("e")), UTC)
            claims["nonce"] = str(claims.pop("n"))
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise ForgedLink("This link is not valid.") from None
        if (now or datetime.now(UTC)) >= claims["expires"]:
            raise ExpiredLink(
                f"This link expired at {claims['expires']:%Y-%m-%d %H:%M} UTC. "
                "Use the command in the email instead."
            )
        return claims

    def issue(
        self,
        workflow_id: str,
        round: int,
        approver: str,
        expires: datetime,
        run_id: str = "",
        purpose: str = APPROVAL_PURPOSE,
    ) -> str:
        """A link for one person, one run and one round: an approver's, or (purpose
        ``redraft``) the owner's."""
        claims = {"w": workflow_id, "u": run_id, "r": round, "a": approver.strip().lower()}
        return self.sign(purpose, claims, expires)

    def verify(
        self, token: str, now: datetime | None = None, purpose: str = APPROVAL_PURPOSE
    ) -> LinkClaims:
        """An approval (or redraft) token's claims; ForgedLink or ExpiredLink as ``open`` says."""
        claims = self.open(purpose, token, now)
        try:
            return LinkClaims(
                workflow_id=str(claims["w"]),
                round=int(claims["r"]),
                approver=str(claims["a"]),
                expires=claims["expires"],
                nonce=claims["nonce"],
                run_id=str(claims.get("u", "")),
            )
        except (ValueError, KeyError, TypeError):
            raise ForgedLink("This link is not valid.") from None

    def csrf_value(self, token: str, browser_nonce: str) -> str:
        """Binds a form to both the link and the browser's cookie (a signed double submit)."""
        return self._mac("csrf", token, browser_nonce)

    def csrf_ok(self, token: str, browser_nonce: str, submitted: str) -> bool:
        if not browser_nonce or not submitted:
            return False
        return _same(submitted, self.csrf_value(token, browser_nonce))


def signer_from_environment(environ: Mapping[str, str] | None = None) -> LinkSigner | None:
    """A signer from OPSRHYTHM_SECRET, or None when it is not set (emails then carry no links).

    A secret too short to be safe is a ConfigError, which the CLI prints as one line.
    """
    secret = (os.environ if environ is None else environ).get(SECRET_ENV, "").strip()
    try:
        return LinkSigner(secret) if secret else None
    except ValueError as error:
        raise ConfigError("environment", [ConfigProblem(SECRET_ENV, str(error))]) from None


def public_url(environ: Mapping[str, str] | None = None) -> str:
    url = (os.environ if environ is None else environ).get(PUBLIC_URL_ENV, "").strip()
    return (url or DEFAULT_PUBLIC_URL).rstrip("/")


def approval_path(workflow_id: str, approver: str) -> str:
    return f"/approvals/{quote(workflow_id, safe='')}/{quote(approver.lower(), safe='@')}"


def draft_link(base_url: str, claims_token: str, workflow_id: str, approver: str) -> str:
    """The full draft behind the approver's token. The token is a path segment, not a query,
    so that the draft's relative links (its pages, its charts) carry it too."""
    return f"{base_url}{approval_path(workflow_id, approver)}/draft/{claims_token}/"


def redraft_link(base_url: str, claims_token: str, workflow_id: str, owner: str) -> str:
    query = urlencode({"token": claims_token})
    return f"{base_url}{approval_path(workflow_id, owner)}/redraft?{query}"


def decision_link(
    base_url: str, claims_token: str, workflow_id: str, approver: str, action: str
) -> str:
    query = urlencode({"token": claims_token, "action": action})
    return f"{base_url}{approval_path(workflow_id, approver)}?{query}"
