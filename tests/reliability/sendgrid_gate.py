"""A pass-through proxy in front of the fake SendGrid that can hold one chosen request open.

Pointing the worker's SENDGRID_HOST here lets a test kill the worker while a given request is
in flight, at an exact point instead of a lucky moment: held *before* it reaches SendGrid (the
batch was claimed but nobody got it) or *after* SendGrid accepted it (everybody got it, the
worker never heard). Either way the ledger can only say "outcome unknown" for that batch.
Requests are matched on the custom_args every OpsRhythm email carries (the ledger key's parts).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from tests.loopback import LoopbackServer

HOLD_SECONDS = 600.0


@dataclass(frozen=True)
class Request:
    audience: str
    message: str
    emails: tuple[str, ...]


@dataclass
class Hold:
    """The ``nth`` request (from 1, counted across attempts) for one audience and message."""

    audience: str
    message: str
    nth: int
    deliver: bool
    """Forward it to SendGrid before holding the answer back."""
    request: Request | None = None
    answer: bool = False
    """Relay SendGrid's answer once released (the worker lived); else the connection drops."""
    reached: threading.Event = field(default_factory=threading.Event)

    def wait(self, timeout: float) -> bool:
        return self.reached.wait(timeout)


class SendGridGate:
    """``with SendGridGate(fake.url) as gate:``; the worker's SENDGRID_HOST is ``gate.url``."""

    def __init__(self, upstream: str) -> None:
        target = urlsplit(upstream)
        self._upstream = (target.hostname or "127.0.0.1", target.port or 80)
        self._lock = threading.Lock()
        self._holds: list[Hold] = []
        self._seen: Counter[tuple[str, str]] = Counter()
        self._open: dict[int, Request] = {}
        self._release = threading.Event()
        self._server = LoopbackServer(_handler_for(self))

    @property
    def url(self) -> str:
        return self._server.url

    def hold(self, audience: str, message: str, nth: int, *, deliver: bool) -> Hold:
        """Arm a hold; it stays armed until that request arrives."""
        hold = Hold(audience, message, nth, deliver)
        with self._lock:
            self._holds.append(hold)
        return hold

    def cancel(self, hold: Hold) -> None:
        """Disarm a hold whose request never came."""
        with self._lock:
            if hold in self._holds:
                self._holds.remove(hold)

    def seen(self, audience: str, message: str) -> int:
        with self._lock:
            return self._seen[(audience, message)]

    def in_flight(self) -> list[Request]:
        """Requests received and not answered yet (held ones included)."""
        with self._lock:
            return list(self._open.values())

    def release(self) -> None:
        """Let every held request go: answered if its hold says so, else dropped."""
        self._release.set()
        self._release = threading.Event()

    def __enter__(self) -> SendGridGate:
        self._server.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
        self._server.close()

    def _arrived(self, body: dict[str, Any]) -> tuple[Request, Hold | None, threading.Event]:
        args = body.get("custom_args", {})
        request = Request(
            str(args.get("audience", "")),
            str(args.get("message", "")),
            tuple(
                address["email"]
                for personalization in body.get("personalizations", [])
                for address in personalization.get("to", [])
            ),
        )
        key = (request.audience, request.message)
        with self._lock:
            self._seen[key] += 1
            self._open[threading.get_ident()] = request
            for hold in self._holds:
                # A prefix: approval emails' kinds end with their run id.
                same = hold.audience == request.audience and request.message.startswith(
                    hold.message
                )
                if same and hold.nth == self._seen[key]:
                    self._holds.remove(hold)
                    hold.request = request
                    return request, hold, self._release
        return request, None, self._release

    def _answered(self) -> None:
        with self._lock:
            self._open.pop(threading.get_ident(), None)

    def _forward(self, path: str, headers: dict[str, str], data: bytes) -> tuple[int, Any, bytes]:
        connection = http.client.HTTPConnection(*self._upstream, timeout=120)
        try:
            connection.request("POST", path, body=data, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()


def _handler_for(gate: SendGridGate) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(data)
            except ValueError:
                body = {}
            _, hold, release = gate._arrived(body if isinstance(body, dict) else {})
            try:
                self._relay(data, hold, release)
            finally:
                gate._answered()

        def _relay(self, data: bytes, hold: Hold | None, release: threading.Event) -> None:
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            if hold is not None and not hold.deliver:
                hold.reached.set()
                release.wait(HOLD_SECONDS)
                return  # never forwarded: the connection just closes
            status, answer_headers, answer = gate._forward(self.path, headers, data)
            if hold is not None:
                hold.reached.set()
                release.wait(HOLD_SECONDS)
                if not hold.answer:
                    return
            self.send_response(status)
            for name, value in answer_headers:
                if name.lower() not in ("server", "date", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.end_headers()
            # The worker may have been killed while waiting for this answer.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: thousands of requests in a soak."""

    return Handler
