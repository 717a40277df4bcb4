"""A JSON endpoint on loopback for the HTTP source's and the webhook's tests: one document, or
a status, for every GET or POST."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.loopback import LoopbackServer

Respond = Callable[[BaseHTTPRequestHandler], tuple[int, Any]]


@contextmanager
def json_endpoint(respond: Respond, path: str = "/metrics?month={period}") -> Iterator[str]:
    """Serve ``respond(request) -> (status, document)`` and yield its URL, by default the
    template an HTTP source takes (``…/metrics?month={period}``); stop the server on exit."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, document = respond(self)
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = LoopbackServer(Handler)
    server.start()
    try:
        yield server.url + path
    finally:
        server.close()
