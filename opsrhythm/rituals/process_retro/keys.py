"""Pseudonymous author keys: how the retro store tells one participant's items and votes apart
without knowing who they are.

The key is HMAC-SHA256 under ``OPSRHYTHM_SECRET`` of the retro's workflow id and the email, so
the same person has unrelated keys in two retros and nobody can list who wrote what from the
database alone. Someone holding both the secret and the database can still test a guessed email
against the keys: the secret is what protects authors, as it protects every signed link.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping

from opsrhythm.platform.approvals.links import MIN_SECRET_LENGTH, SECRET_ENV
from opsrhythm.platform.cli_errors import UsageError

PURPOSE = "retro-author"


class AuthorKeys:
    """Author keys for one deployment's secret."""

    def __init__(self, secret: str) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"{SECRET_ENV} must be at least {MIN_SECRET_LENGTH} characters long")
        self._key = secret.encode()

    def author_key(self, workflow_id: str, email: str) -> str:
        message = "\0".join((PURPOSE, workflow_id, email.strip().lower())).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


def author_keys_from_environment(environ: Mapping[str, str] | None = None) -> AuthorKeys:
    """The keys under ``OPSRHYTHM_SECRET``; without it no retro item can be kept anonymous, so
    the command is refused in one line rather than storing emails."""
    secret = (os.environ if environ is None else environ).get(SECRET_ENV, "").strip()
    if not secret:
        raise UsageError(f"set {SECRET_ENV} (the worker's): retro authors are keyed with it")
    try:
        return AuthorKeys(secret)
    except ValueError as error:
        raise UsageError(str(error)) from None
