"""When an item's SLA warning and breach fall: in calendar time ("2d", "12h") or in business days
("2bd"), counted in the feedback timezone and skipping weekends and the holiday calendar.

Business time is wall-clock time on business days: "2bd" from Friday 15:00 is Tuesday 15:00, and
an item that arrives on a Saturday starts its clock at Monday 00:00. Warnings at a fraction of
the SLA count the same way, so 75% of 2bd is 1.5 business days.
"""

from __future__ import annotations

import functools
from collections.abc import Container
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from opsrhythm.platform.schedules.business_days import NO_HOLIDAYS, holiday_dates, is_business_day
from opsrhythm.platform.schedules.config import parse_duration
from opsrhythm.rituals.feedback.config import BUSINESS_DAYS, FeedbackSettings, Priority

_LONGEST_WALK = 3660
"""Days the clock walks at most; only a calendar of holidays on every weekday could need more."""


class CalendarUnavailable(ValueError):
    """The configured holiday calendar is not one the ``holidays`` package has."""


def sla_deadlines(
    settings: FeedbackSettings, priority: Priority, start: datetime
) -> tuple[datetime, datetime] | None:
    """(warn at, due at) in UTC for an item of this priority arriving at ``start``."""
    text = settings.sla.get(priority)
    if text is None:
        return None
    business = BUSINESS_DAYS.fullmatch(text)
    if business is None:
        allowed = parse_duration(text)
        return start + allowed * settings.sla_warning, start + allowed
    allowed = timedelta(days=int(business.group(1)))
    zone = ZoneInfo(settings.timezone or "UTC")
    calendar = settings.holidays
    year = start.astimezone(zone).year
    holidays = _holidays(calendar.country, calendar.subdivision, year) if calendar else NO_HOLIDAYS
    return (
        add_business_time(start, allowed * settings.sla_warning, zone, holidays),
        add_business_time(start, allowed, zone, holidays),
    )


def sla_start(settings: FeedbackSettings, created_at: datetime, received_at: datetime) -> datetime:
    """When an item's SLA clock starts: when OpsRhythm received it, or, with ``sla_start:
    created_at``, the time its row gives (never later than its arrival)."""
    if settings.sla_start == "created_at":
        return min(created_at, received_at)
    return received_at


def local_label(moment: datetime | None, timezone: str) -> str:
    """A moment as people read it where they are: 'Wed 02 Dec 2026 00:00 GMT'."""
    return f"{moment.astimezone(ZoneInfo(timezone)):%a %d %b %Y %H:%M %Z}" if moment else "none"


def add_business_time(
    start: datetime, amount: timedelta, zone: ZoneInfo, holidays: Container[date] = NO_HOLIDAYS
) -> datetime:
    """``start`` plus ``amount`` of time that falls on business days in ``zone``, in UTC."""
    # Naive local wall time: a business day is 24 wall-clock hours, even across a DST change.
    cursor = start.astimezone(zone).replace(tzinfo=None)
    remaining = amount
    for _ in range(_LONGEST_WALK):
        next_midnight = datetime.combine(cursor.date() + timedelta(days=1), time())
        if is_business_day(cursor.date(), holidays):
            if remaining <= next_midnight - cursor:
                return (cursor + remaining).replace(tzinfo=zone).astimezone(UTC)
            remaining -= next_midnight - cursor
        cursor = next_midnight
    raise ValueError(f"no business days within {_LONGEST_WALK} days of {start:%Y-%m-%d}")


@functools.lru_cache(maxsize=16)
def _holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    # Three years: the longest SLA allowed (260bd) from late December ends two years on.
    try:
        return holiday_dates(country, subdivision, range(year, year + 3))
    except NotImplementedError:
        raise CalendarUnavailable(
            f"feedback.holidays: no holiday calendar for {country!r}"
            + (f" subdivision {subdivision!r}" if subdivision else "")
        ) from None
