"""The send ledger's keys and location, importable without SQLAlchemy (see ``ledger.py``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATABASE_URL_ENV = "OPSRHYTHM_DATABASE_URL"


def configured_database_url() -> str | None:
    """``$OPSRHYTHM_DATABASE_URL`` when set to something other than blanks, else None."""
    return os.environ.get(DATABASE_URL_ENV, "").strip() or None


def default_database_url() -> str:
    """``$OPSRHYTHM_DATABASE_URL``, else a SQLite file under ./.opsrhythm (created if missing)."""
    url = configured_database_url()
    if url:
        return url
    Path(".opsrhythm").resolve().mkdir(parents=True, exist_ok=True)
    return embedded_database_url()


def embedded_database_url() -> str:
    """The SQLite file used when no database is configured; names it without creating it."""
    return f"sqlite:///{Path('.opsrhythm').resolve() / 'opsrhythm.db'}"


@dataclass(frozen=True)
class MessageKey:
    """One recipient of one message of one workflow run; the email is compared case-blind."""

    workflow_id: str
    audience_id: str
    message_kind: str
    email: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "email", self.email.strip().lower())
