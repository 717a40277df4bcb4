"""Arguments checked against the config, shared by the commands that take a ritual or a period.

Each failure is a ``UsageError`` naming the argument, raised before anything connects.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, overload
from zoneinfo import ZoneInfo

from opsrhythm.platform.cli_errors import UsageError

if TYPE_CHECKING:
    from opsrhythm.platform.config import PlatformConfig, RitualBase
    from opsrhythm.platform.periods import IsoWeek, Month, PeriodType, Quarter
    from opsrhythm.platform.ritual_kind import RitualKind


def known_ritual(config: PlatformConfig, ritual_id: str) -> RitualBase:
    known = [r.id for r in config.rituals]
    if ritual_id not in known:
        raise UsageError(f"unknown ritual {ritual_id!r} (known: {', '.join(known) or 'none'})")
    return config.ritual(ritual_id)


def chosen_kinds(kinds: Sequence[RitualKind], tags: str | None) -> tuple[RitualKind, ...]:
    """The kinds ``--rituals`` names (comma-separated tags), in registry order; all if None."""
    if tags is None:
        return tuple(kinds)
    wanted = {tag.strip() for tag in tags.split(",") if tag.strip()}
    known = [kind.kind for kind in kinds]
    unknown = sorted(wanted - set(known))
    if unknown or not wanted:
        named = ", ".join(unknown) or repr(tags)
        raise UsageError(f"--rituals: unknown kind {named} (known: {', '.join(known)})")
    return tuple(kind for kind in kinds if kind.kind in wanted)


@overload
def period_argument(
    period_type: type[Month], text: str | None, timezone: str, option: str = ...
) -> Month: ...


@overload
def period_argument(
    period_type: PeriodType, text: str | None, timezone: str, option: str = ...
) -> Month | Quarter | IsoWeek: ...


def period_argument(
    period_type: PeriodType, text: str | None, timezone: str, option: str = "--period"
) -> Month | Quarter | IsoWeek:
    """The period ``text`` names; none given, the last complete one in ``timezone``."""
    if text is None:
        return period_type.reported_at(datetime.now(ZoneInfo(timezone)))
    try:
        return period_type.parse(text)
    except ValueError as error:
        raise UsageError(f"{option}: {error}") from None
