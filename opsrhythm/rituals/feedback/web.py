"""``POST /feedback``: JSON intake for other systems, behind a bearer token from the environment.

A malformed request is quarantined with its reason (``opsrhythm feedback quarantine`` lists
it) and answered with a 4xx; it is never silently dropped. A repeated body stores nothing new.
A store that is down is a 503 to retry; fields that fill nothing are named in the answer.
"""

from __future__ import annotations

import hmac
import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from opsrhythm.platform.web_pages import read_body
from opsrhythm.rituals.feedback.config import FeedbackSettings
from opsrhythm.rituals.feedback.intake import field_of, parse_record
from opsrhythm.rituals.feedback.row_checks import (
    INVALID_JSON,
    NOT_AN_OBJECT,
    digest,
    load_object,
    printable,
)
from opsrhythm.rituals.feedback.triage import triage_chunk

if TYPE_CHECKING:
    from opsrhythm.rituals.feedback.ledger import FeedbackLedger

TOKEN_ENV = "OPSRHYTHM_FEEDBACK_TOKEN"
MAX_BODY_BYTES = 64 * 1024
ORIGIN = "api"


class FeedbackIntake:
    def __init__(self, settings: FeedbackSettings, ledger: FeedbackLedger, token: str) -> None:
        self._settings = settings
        self._ledger = ledger
        self._token = token.encode()

    def routes(self) -> list[Route]:
        return [Route("/feedback", self.submit, methods=["POST"])]

    async def submit(self, request: Request) -> Response:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), self._token):
            return _error(401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})
        body = await read_body(request, MAX_BODY_BYTES)
        if body is None:
            return _error(413, f"body over {MAX_BODY_BYTES} bytes")
        return await run_in_threadpool(self._store, body)

    def _store(self, body: bytes) -> Response:
        try:
            return self._triage(body)
        except SQLAlchemyError as error:
            # The store is down or refused the write: the sender should retry, not give up.
            reason = printable(str(error).splitlines()[0], 200)
            return _error(503, f"feedback store unavailable: {reason}", {"Retry-After": "60"})

    def _triage(self, body: bytes) -> Response:
        now = datetime.now(UTC)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raw = body.decode("utf-8", errors="replace")
            return self._quarantine(raw, f"body is not UTF-8: byte at {error.start}", 400)
        record = load_object(text)
        if isinstance(record, str):
            return self._quarantine(text, _body_reason(record), 400)
        columns = self._settings.columns
        row = parse_record(record, line=0, raw=text, now=now, columns=columns)
        if row.input is None:
            self._ledger.quarantine_rows([row.quarantine_record(ORIGIN)])
            return _error(422, printable(row.reason, 500), quarantined=True)
        summary = triage_chunk([row], self._settings, self._ledger, origin=ORIGIN, now=now)
        item = self._ledger.get(row.item_id)
        if item is None:
            return _error(503, "feedback store unavailable: the item was not stored")
        unknown = [printable(k, 80) for k in record if field_of(k, columns) is None]
        return JSONResponse(
            {
                "id": item.id,
                "external_id": item.external_id,
                "area": item.area,
                "owner_team": item.owner_team,
                "stored": bool(summary.imported),
                "unknown_fields": unknown,
            },
            status_code=201 if summary.imported else 200,
        )

    def _quarantine(self, raw: str, reason: str, status: int) -> Response:
        record = {
            "hash": digest(raw),
            "origin": ORIGIN,
            "line": 0,
            "raw": printable(raw),
            "reason": printable(reason, 500),
        }
        self._ledger.quarantine_rows([record])
        return _error(status, printable(reason, 500), quarantined=True)


def intake_from_environment(
    settings: FeedbackSettings | None, ledger: FeedbackLedger
) -> FeedbackIntake | None:
    """The endpoint, when the config has a feedback section and the token is set."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if settings is None or not token:
        return None
    return FeedbackIntake(settings, ledger, token)


def _error(
    status: int, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


def _body_reason(reason: str) -> str:
    if reason == NOT_AN_OBJECT:
        return "body must be a JSON object"
    if reason.startswith(INVALID_JSON):
        return "body is not JSON" + reason.removeprefix(INVALID_JSON)
    return f"body: {reason}"
