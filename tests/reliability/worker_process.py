"""Real processes for crash tests: a dev server on a fixed port and file, and ``opsrhythm worker``.

Both are the shipped programs, started as an operator would (``temporal server start-dev
--db-filename``, found by the project's ``find_binary``; the ``opsrhythm`` console script), so a
SIGKILL or a server stop hits exactly what production runs. The server is a plain subprocess
rather than ``embedded_server`` because a restart must come back on the same port and file.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from opsrhythm.platform import search_attributes
from opsrhythm.platform.temporal_runtime import find_binary

READY_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def opsrhythm_command() -> list[str]:
    """The console script installed beside this interpreter, as an operator runs it."""
    beside = Path(sys.executable).parent / "opsrhythm"
    found = str(beside) if beside.exists() else shutil.which("opsrhythm")
    if found is None:
        raise RuntimeError("the opsrhythm console script is not installed (pip install -e .)")
    return [found]


class DevServer:
    """``temporal server start-dev`` on loopback, persisting to ``db_file``; restartable."""

    def __init__(self, db_file: Path, log_file: Path) -> None:
        self.db_file = db_file
        self.port = free_port()
        self._log_file = log_file
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        attributes = [
            argument
            for key in search_attributes.ALL
            for argument in ("--search-attribute", f"{key.name}=Keyword")
        ]
        with self._log_file.open("ab") as log:
            self._process = subprocess.Popen(
                [
                    find_binary("temporal"),
                    *("server", "start-dev", "--headless", "--ip", "127.0.0.1"),
                    *("--port", str(self.port), "--db-filename", str(self.db_file)),
                    *("--log-level", "warn", *attributes),
                ],
                stdout=log,
                stderr=log,
            )
        _wait_for_port(self.port, self._process, self._log_file)

    def stop(self) -> None:
        """Terminate (SIGTERM) and wait, as a service manager stops it."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=30)
        self._process = None

    def __enter__(self) -> DevServer:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class WorkerProcess:
    """``opsrhythm worker`` in ``folder`` with ``env``; each start logs to worker-N.log there."""

    def __init__(self, env: Mapping[str, str], folder: Path) -> None:
        self._env = dict(env)
        self._folder = folder
        self._process: subprocess.Popen[str] | None = None
        self.starts = 0

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start, and return once it says it is polling (after its database check)."""
        self.starts += 1
        log = self._folder / f"worker-{self.starts}.log"
        with log.open("w") as stderr:
            self._process = subprocess.Popen(
                [*opsrhythm_command(), "worker"],
                cwd=self._folder,
                env=self._env,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.startswith("Worker polling"):
            self._process.wait(timeout=10)
            raise RuntimeError(f"worker did not start: {line!r}; {log}: {_tail(log)}")

    def kill(self) -> None:
        """SIGKILL: no ``finally``, no ``except``, no goodbye to the server."""
        if self._process is not None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=30)
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def __enter__(self) -> WorkerProcess:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.kill()


def worker_environment(
    *,
    temporal_address: str,
    database_url: str,
    sendgrid_url: str,
    sendgrid_key: str,
    config: Path,
    archive: Path,
) -> dict[str, str]:
    """This process's environment without Temporal, SendGrid or OpsRhythm settings, plus these."""
    own = ("TEMPORAL_", "SENDGRID_", "OPSRHYTHM_")
    base = {k: v for k, v in os.environ.items() if not k.startswith(own) and k != "PYTHONPATH"}
    return base | {
        "TEMPORAL_ADDRESS": temporal_address,
        "OPSRHYTHM_DATABASE_URL": database_url,
        "SENDGRID_HOST": sendgrid_url,
        "SENDGRID_API_KEY": sendgrid_key,
        "OPSRHYTHM_CONFIG": str(config),
        "OPSRHYTHM_ARCHIVE": str(archive),
        "OPSRHYTHM_SECRET": "kill-test-secret-0123456789abcdef",
    }


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"temporal server exited with {process.returncode}: {_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"temporal server not listening on {port} after {READY_SECONDS:.0f} s")


def _tail(path: Path) -> str:
    return " | ".join(path.read_text(errors="replace").strip().splitlines()[-5:])
