"""A TCP forwarder on 127.0.0.1 that a test can cut, to take a database away mid-run.

``cut()`` resets every open connection and every new one (a server that went down);
``silence()`` accepts new connections and never answers (a server behind a dropped link);
``restore()`` forwards again. Threads, so synchronous drivers and asyncio tests both use it.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

Mode = Literal["open", "cut", "silent"]
_CHUNK = 65536


class TcpProxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.mode: Mode = "open"
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        """Reset every connection, and every new one, until ``restore``."""
        self.mode = "cut"
        with self._lock:
            links, self._open = self._open, set()
        for link in links:
            _reset(link)

    def silence(self) -> None:
        """Accept new connections but never answer them, until ``restore``."""
        self.mode = "silent"

    def restore(self) -> None:
        self.mode = "open"

    def close(self) -> None:
        self.cut()
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            if self.mode == "cut":
                _reset(client)
                continue
            if self.mode == "silent":
                self._remember(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _reset(client)
                continue
            upstream.settimeout(None)
            self._remember(client, upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()

    def _remember(self, *links: socket.socket) -> None:
        with self._lock:
            self._open.update(links)


@contextmanager
def tcp_proxy(host: str, port: int) -> Iterator[TcpProxy]:
    proxy = TcpProxy((host, port))
    try:
        yield proxy
    finally:
        proxy.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(_CHUNK):
            sink.sendall(data)
    except OSError:
        pass  # the other direction, or a cut, closed it
    _reset(source)
    _reset(sink)


def _reset(link: socket.socket) -> None:
    # Linger 0: close sends RST, as a host that lost the connection does, not a polite FIN.
    try:
        link.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        link.close()
    except OSError:
        pass
