"""Heartbeats for long activities: a progress callback for their domain code, and a background
beat for a single blocking call (one slow query, one HTTP request) that cannot report."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from temporalio import activity

BACKGROUND_BEAT_SECONDS = 5.0


def heartbeat(step: str) -> None:
    """Heartbeat with ``step``; called outside an activity (the preview command, a test calling
    the method directly) there is no one to tell, so it does nothing."""
    if activity.in_activity():
        activity.heartbeat(step)


@contextmanager
def heartbeating(step: str, every: float = BACKGROUND_BEAT_SECONDS) -> Iterator[None]:
    """Heartbeat every ``every`` seconds from a background thread while the body runs, so a
    slow step is told apart from a dead worker: the heartbeat timeout then bounds how long a
    crash goes unnoticed, not how long one query may take (start-to-close still bounds that)."""
    if not activity.in_activity():
        yield
        return
    stop = threading.Event()
    # The activity's context (and so its heartbeat) lives in context variables.
    context = contextvars.copy_context()

    def beat() -> None:
        while not stop.wait(every):
            context.run(activity.heartbeat, step)

    thread = threading.Thread(target=beat, name="opsrhythm-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
