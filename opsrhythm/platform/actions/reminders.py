"""When an action's notices fall due: reminders 3 and 1 days before its due date and the overdue
notice the day after it, each at 09:00 in the owner's timezone. Pure functions, for the plan
activity and its tests.

Only the latest notice whose moment has passed is due: an action recorded the day before its
due date gets the 1-day reminder at once, never a stale 3-day one as well.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from opsrhythm.platform.actions.follow_up import NoticeKind

NOTICE_TIME = time(9, 0)
SCHEDULE: tuple[tuple[NoticeKind, int], ...] = (
    ("reminder-3d", -3),
    ("reminder-1d", -1),
    ("overdue", 1),
)
"""Each notice and its day, counted from the due date."""


def moments(due: date, timezone: str) -> list[tuple[NoticeKind, datetime]]:
    """Every notice of an action due on ``due``, with its moment (aware, in ``timezone``)."""
    zone = ZoneInfo(timezone)
    return [
        (kind, datetime.combine(due + timedelta(days=days), NOTICE_TIME, tzinfo=zone))
        for kind, days in SCHEDULE
    ]


def due_notice(
    due: date, timezone: str, now: datetime
) -> tuple[NoticeKind | None, datetime | None]:
    """(the notice due at ``now``, if any; the moment of the next one, if any)."""
    planned = moments(due, timezone)
    passed = [kind for kind, moment in planned if moment <= now]
    ahead = [moment for _, moment in planned if moment > now]
    return (passed[-1] if passed else None), (ahead[0] if ahead else None)
