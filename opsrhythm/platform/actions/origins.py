"""Checking what ``actions add`` is given against the config: the owner is a person, and the
origin names a ritual's run (``<ritual>-<period>``) or comes with ``--ritual`` and ``--period``.
Each failure is one ``UsageError`` naming the option."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opsrhythm.platform.cli_errors import UsageError
from opsrhythm.platform.periods import parse_period

if TYPE_CHECKING:
    from opsrhythm.platform.config import Person, PlatformConfig


def owner_of(config: PlatformConfig, text: str) -> Person:
    """The person whose id or email (any case) is ``text``."""
    wanted = text.strip().lower()
    for person in config.people:
        if wanted in (person.id.lower(), person.email.lower()):
            return person
    raise UsageError(
        f"--owner: {text!r} is not a person in the config (give a person's id or email)"
    )


def ritual_and_period(
    config: PlatformConfig, origin: str, ritual_id: str | None, period: str | None
) -> tuple[str, str]:
    """The ritual and period of the run ``origin`` names. ``--ritual``/``--period``, when given,
    must agree with it; an origin that is no configured ritual's run needs both."""
    for ritual in config.rituals:
        text = origin.removeprefix(f"{ritual.id}-")
        if text == origin:
            continue
        try:
            found = str(ritual.ritual_kind.period.parse(text))
        except ValueError:
            continue
        if (ritual_id or ritual.id, period or found) != (ritual.id, found):
            raise UsageError(
                f"--origin {origin} is {ritual.id}'s run for {found}: "
                "leave out --ritual and --period, or make them agree"
            )
        return ritual.id, found
    if ritual_id is None or period is None:
        raise UsageError(
            f"--origin {origin}: not a run of a ritual in the config (<ritual>-<period>); "
            "give --ritual and --period"
        )
    try:
        period = str(parse_period(period))
    except ValueError as error:
        raise UsageError(f"--period: {error}") from None
    return ritual_id, period
