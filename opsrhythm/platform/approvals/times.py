"""Times as a person reads them: in their own IANA zone, the zone named beside the time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str) -> ZoneInfo:
    """The named zone; UTC for a name this machine does not know (the label then says UTC)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(moment: datetime, zone_name: str) -> str:
    """'Fri 13 Nov 2026 17:00 Europe/London'; a naive time is taken as UTC."""
    where = zone(zone_name)
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{aware.astimezone(where):%a %d %b %Y %H:%M} {where.key}"
