"""The heartbeat that long activities give their domain code as a progress callback."""

from __future__ import annotations

from temporalio import activity


def heartbeat(step: str) -> None:
    """Heartbeat with ``step``; called outside an activity (the preview command, a test calling
    the method directly) there is no one to tell, so it does nothing."""
    if activity.in_activity():
        activity.heartbeat(step)
