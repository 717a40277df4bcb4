"""A fake SendGrid Mail Send API for tests and the benchmark, as strict as the real one.

Every body is validated against the provider's published OpenAPI schema (one known flaw
patched: top-level custom_args is an object of strings), then against the documented limits the
schema cannot express. Accepted requests are recorded (sandbox mode gets 200 and is not, as at
SendGrid); scripted faults (429, 5xx, 4xx, slow answers) let tests drive each error path, and
``faults()`` answers a seeded share of requests with 429, 500 or a timeout at random.
Runs on a loopback port in a background thread.
"""

from __future__ import annotations

import copy
import json
import math
import random
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.loopback import LoopbackServer

SCHEMA_PATH = Path(__file__).resolve().parent / "sendgrid" / "mail_v3.openapi.json"
DEFAULT_API_KEY = "SG.fake-test-key"
MAX_RECIPIENTS = 1000
MAX_CUSTOM_ARGS_BYTES = 10_000
MAX_SEND_AT_AHEAD_SECONDS = 72 * 3600
RATE_LIMIT = 10_000
_MESSAGE_LIMIT = 300
_SPEC_URI = "urn:sendgrid:mail-v3"
_BODY_POINTER = "#/components/requestBodies/PostMailSend/content/application~1json/schema"
_SUBJECT_REQUIRED = (
    "The subject is required. You can get around this requirement if you use a template with "
    "a subject defined or if every personalization has a subject defined."
)
_CONTENT_REQUIRED = "Unless a valid template_id is provided, the content parameter is required."


@cache
def request_validator() -> Draft202012Validator:
    """The PostMailSend body schema, $refs resolved within the published document."""
    spec = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    patched = copy.deepcopy(spec)
    body = patched["components"]["requestBodies"]["PostMailSend"]["content"]["application/json"]
    body["schema"]["properties"]["custom_args"] = {
        "type": "object",
        "additionalProperties": {"type": "string"},
    }
    registry: Registry[Any] = Registry().with_resource(
        _SPEC_URI, Resource.from_contents(patched, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": _SPEC_URI + _BODY_POINTER},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def body_problem(body: Any) -> tuple[str, str | None] | None:
    """(message, field) for the first reason SendGrid would refuse ``body``, or None."""
    error = best_match(request_validator().iter_errors(body))
    if error is not None:
        field = ".".join(str(part) for part in error.absolute_path) or None
        if len(error.message) <= _MESSAGE_LIMIT:
            return error.message, field
        rule = f"{error.validator}: {error.validator_value!r}"
        return f"The {field or 'request body'} value breaks the rule {rule}", field
    seen: set[str] = set()
    for index, personalization in enumerate(body["personalizations"]):
        for kind in ("to", "cc", "bcc"):
            for address in personalization.get(kind, []):
                email = address["email"].lower()
                if email in seen:
                    return (
                        "Each email address in the personalization block should be unique "
                        f"between to, cc, and bcc. We found the first duplicate instance of "
                        f"[{address['email']}] in the personalizations.{index}.{kind} field.",
                        f"personalizations.{index}.{kind}",
                    )
                seen.add(email)
    if len(seen) > MAX_RECIPIENTS:
        return (
            f"The total number of recipients must be {MAX_RECIPIENTS} or less",
            "personalizations",
        )
    if "subject" not in body and any("subject" not in p for p in body["personalizations"]):
        return _SUBJECT_REQUIRED, "subject"
    if "content" not in body and "template_id" not in body:
        return _CONTENT_REQUIRED, "content"
    if len(json.dumps(body.get("custom_args", {})).encode()) > MAX_CUSTOM_ARGS_BYTES:
        return "The custom_args may not exceed 10,000 bytes.", "custom_args"
    send_at = body.get("send_at")
    if send_at is not None and send_at > time.time() + MAX_SEND_AT_AHEAD_SECONDS:
        return "The send_at may not be more than 72 hours in the future.", "send_at"
    return None


FaultKind = Literal["429", "500", "timeout"]


@dataclass
class Faults:
    """A seeded share of requests answered with one of ``kinds`` instead of 202.

    A request's fate depends only on the seed, the request (its subject, first recipient and
    size) and how often that request was seen before, never on arrival order: concurrent
    activities meet the same faults on every run. A 429 says the limit resets one or two seconds
    ahead. A timeout validates and records the delivery first, then holds the answer for ``hold``
    seconds: the client gives up on a request that did reach SendGrid, the truly unknown case.
    """

    rate: float
    kinds: tuple[FaultKind, ...]
    seed: int
    hold: float
    seen: dict[tuple[str, str, int], int] = field(default_factory=dict)

    def draw(self, body: Any) -> InjectedFault | None:
        """The fault for this request, or None (also for a body with no recipient to key on)."""
        try:
            to = [a["email"] for p in body["personalizations"] for a in p.get("to", [])]
            request = (str(body.get("subject", "")), str(to[0]), len(to))
        except (KeyError, IndexError, TypeError, AttributeError):
            return None
        attempt = self.seen.get(request, 0)
        self.seen[request] = attempt + 1
        chance = random.Random(f"{self.seed}|{request}|{attempt}")
        if chance.random() >= self.rate:
            return None
        return InjectedFault(chance.choice(self.kinds), to, chance.uniform(1.0, 2.0), self.hold)


@dataclass(frozen=True)
class InjectedFault:
    """A fault ``faults()`` injected into one request, and the recipients of that request."""

    kind: FaultKind
    recipients: list[str]
    reset_in: float
    hold: float


@dataclass(frozen=True)
class _Script:
    status: int | None
    message: str
    reset_in: float | None = None
    delay: float = 0.0
    record: bool = True


class FakeSendGrid:
    """``with FakeSendGrid() as server:`` then point the client's host at ``server.url``."""

    def __init__(self, api_key: str = DEFAULT_API_KEY) -> None:
        self.api_key = api_key
        self._lock = threading.Lock()
        self._script: deque[_Script] = deque()
        self._delivered: list[dict[str, Any]] = []
        self._received = 0
        self._faults: Faults | None = None
        self._injected: list[InjectedFault] = []
        self._closing = threading.Event()
        self._server = LoopbackServer(_handler_for(self))

    @property
    def url(self) -> str:
        return self._server.url

    def __enter__(self) -> FakeSendGrid:
        self._server.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closing.set()  # lets held answers go, so no handler outlives the server
        self._server.close()

    def fail_next(
        self,
        status: int,
        *,
        message: str | None = None,
        reset_in: float | None = None,
        after: int = 0,
    ) -> None:
        """Answer a coming request with ``status``, after ``after`` requests served normally."""
        with self._lock:
            self._script.extend(_Script(None, "") for _ in range(after))
            self._script.append(_Script(status, message or f"scripted failure {status}", reset_in))

    def delay_next(self, seconds: float, *, after: int = 0, record: bool = True) -> None:
        """Accept and record a coming request, but answer only after ``seconds``; with
        ``record=False`` the request is lost instead, as if it never reached SendGrid."""
        with self._lock:
            self._script.extend(_Script(None, "") for _ in range(after))
            self._script.append(_Script(None, "", delay=seconds, record=record))

    def faults(
        self,
        *,
        rate: float,
        kinds: tuple[FaultKind, ...] = ("429", "500", "timeout"),
        seed: int = 0,
        hold: float = 30.0,
    ) -> None:
        """From now on answer a seeded ``rate`` of requests with a random one of ``kinds``.

        ``hold`` must exceed the client's timeout for a timeout to be one. Scripted answers
        (``fail_next``, ``delay_next``) come first; ``rate=0`` turns faults off.
        """
        with self._lock:
            self._faults = Faults(rate, kinds, seed, hold) if rate > 0 else None

    def injected(self) -> list[InjectedFault]:
        """Every fault ``faults()`` injected, in arrival order."""
        with self._lock:
            return list(self._injected)

    @property
    def received(self) -> int:
        """Requests that reached the mail send endpoint, accepted or not."""
        with self._lock:
            return self._received

    def delivered_requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._delivered)

    def deliveries(self) -> list[tuple[str, str]]:
        """(recipient, subject) for every recipient of every accepted request."""
        return [
            (address["email"], personalization.get("subject", body.get("subject", "")))
            for body in self.delivered_requests()
            for personalization in body["personalizations"]
            for kind in ("to", "cc", "bcc")
            for address in personalization.get(kind, [])
        ]

    def _next_script(self) -> _Script | None:
        with self._lock:
            self._received += 1
            return self._script.popleft() if self._script else None

    def _record(self, body: dict[str, Any]) -> None:
        with self._lock:
            self._delivered.append(body)

    def _draw_fault(self, body: Any) -> InjectedFault | None:
        with self._lock:
            fault = self._faults.draw(body) if self._faults is not None else None
            if fault is not None:
                self._injected.append(fault)
            return fault

    def _hold(self, seconds: float) -> None:
        """Keep an answer back for ``seconds``, or until the server closes."""
        self._closing.wait(seconds)


def _handler_for(server: FakeSendGrid) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.rstrip("/") != "/v3/mail/send":
                return self._answer(404, "not found")
            if self.headers.get("Authorization") != f"Bearer {server.api_key}":
                return self._answer(
                    401, "The provided authorization grant is invalid, expired, or revoked"
                )
            script = server._next_script()
            if script is not None and script.status is not None:
                return self._answer(script.status, script.message, script.reset_in)
            try:
                body = json.loads(data)
            except ValueError:
                return self._answer(400, "Bad Request", field=None)
            fault = None if script is not None else server._draw_fault(body)
            if fault is not None and fault.kind != "timeout":
                return self._answer(int(fault.kind), f"random fault {fault.kind}", fault.reset_in)
            problem = body_problem(body)
            if problem is not None:
                return self._answer(400, problem[0], field=problem[1])
            if body.get("mail_settings", {}).get("sandbox_mode", {}).get("enable"):
                return self._answer(200)  # valid, and delivered to nobody
            if script is None or script.record:
                server._record(body)
            if script is not None and script.delay:
                server._hold(script.delay)
            if fault is not None:
                server._hold(fault.hold)
            self._answer(202)

        def _answer(
            self,
            status: int,
            message: str = "",
            reset_in: float | None = None,
            field: str | None = None,
        ) -> None:
            payload = b""
            if status >= 400:
                error = {"message": message, "field": field, "help": None}
                payload = json.dumps({"errors": [error]}).encode()
            reset = math.ceil(time.time() + (reset_in if reset_in is not None else 60))
            self.send_response(status)
            self.send_header("X-RateLimit-Limit", str(RATE_LIMIT))
            self.send_header("X-RateLimit-Remaining", "0" if status == 429 else str(RATE_LIMIT))
            self.send_header("X-RateLimit-Reset", str(reset))
            if status == 202:
                self.send_header("X-Message-Id", uuid.uuid4().hex)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            try:
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting, as slow-answer tests intend

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests and the benchmark send thousands of requests."""

    return Handler
