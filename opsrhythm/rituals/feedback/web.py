"""``POST /feedback``: JSON intake for other systems, behind a bearer token from the environment.

A malformed request is quarantined with its reason (``opsrhythm feedback quarantine`` lists
it) and answered with a 4xx; it is never silently dropped. A repeated body stores nothing new.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from opsrhythm.platform.web_pages import read_body
from opsrhythm.rituals.feedback.config import FeedbackSettings
from opsrhythm.rituals.feedback.intake import parse_record
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
        now = datetime.now(UTC)
        raw = body.decode("utf-8", errors="replace")
        try:
            record = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            return self._quarantine(raw, f"body is not JSON: {error}", 400)
        if not isinstance(record, dict):
            return self._quarantine(raw, "body must be a JSON object", 400)
        row = parse_record(record, line=0, raw=raw, now=now)
        if row.input is None:
            self._ledger.quarantine_rows([row.quarantine_record(ORIGIN)])
            return _error(422, row.reason, quarantined=True)
        summary = triage_chunk([row], self._settings, self._ledger, origin=ORIGIN, now=now)
        item = self._ledger.get(row.item_id)
        assert item is not None
        return JSONResponse(
            {
                "id": item.id,
                "area": item.area,
                "owner_team": item.owner_team,
                "stored": bool(summary.imported),
            },
            status_code=201 if summary.imported else 200,
        )

    def _quarantine(self, raw: str, reason: str, status: int) -> Response:
        digest = hashlib.sha256(raw.encode()).hexdigest()
        record = {"hash": digest, "origin": ORIGIN, "line": 0, "raw": raw, "reason": reason}
        self._ledger.quarantine_rows([record])
        return _error(status, reason, quarantined=True)


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
