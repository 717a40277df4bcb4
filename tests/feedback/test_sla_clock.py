"""SLA deadlines in business days: weekends, holidays, timezones and DST; and calendar time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from opsrhythm.config_loader import load_config, parse_config
from opsrhythm.platform.schedules.config import HolidayCalendar
from opsrhythm.rituals.feedback.config import FeedbackSettings, Priority
from opsrhythm.rituals.feedback.sla_clock import CalendarUnavailable, sla_deadlines
from tests.conftest import EXAMPLE_CONFIG

LONDON = ZoneInfo("Europe/London")


def london(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON).astimezone(UTC)


@pytest.fixture(scope="module")
def settings() -> FeedbackSettings:
    """The example company: Europe/London, England's holidays, P1 2bd, P2 5bd, P4 30d."""
    feedback = load_config(EXAMPLE_CONFIG).feedback
    assert feedback is not None
    return feedback


@pytest.mark.parametrize(
    ("why", "priority", "start", "warn", "due"),
    [
        (
            "a weekend does not count",
            "P1",
            london(2026, 11, 27, 15, 0),  # Friday
            london(2026, 12, 1, 3, 0),  # 1.5bd: 9h Friday, all Monday, 3h Tuesday
            london(2026, 12, 1, 15, 0),  # Tuesday, same time
        ),
        (
            "an item arriving on Saturday starts its clock on Monday",
            "P1",
            london(2026, 11, 28, 10, 0),
            london(2026, 12, 1, 12, 0),
            london(2026, 12, 2, 0, 0),
        ),
        (
            "Christmas, Boxing Day (on Monday) and the weekend do not count",
            "P1",
            london(2026, 12, 24, 10, 0),  # Thursday
            london(2026, 12, 29, 22, 0),
            london(2026, 12, 30, 10, 0),
        ),
        (
            "business days are wall-clock days across the change to GMT",
            "P1",
            london(2026, 10, 23, 15, 0),  # Friday, BST
            london(2026, 10, 27, 3, 0),
            london(2026, 10, 27, 15, 0),  # Tuesday, GMT: 25 real hours later than BST would be
        ),
        (
            "five business days span a weekend",
            "P2",
            london(2026, 11, 4, 9, 0),  # Wednesday
            london(2026, 11, 10, 3, 0),
            london(2026, 11, 11, 9, 0),
        ),
        (
            "calendar SLAs count every hour",
            "P4",
            london(2026, 11, 27, 15, 0),
            london(2026, 11, 27, 15, 0) + timedelta(days=22.5),
            london(2026, 11, 27, 15, 0) + timedelta(days=30),
        ),
    ],
)
def test_deadlines(
    settings: FeedbackSettings,
    why: str,
    priority: Priority,
    start: datetime,
    warn: datetime,
    due: datetime,
) -> None:
    assert (warn, due) == sla_deadlines(settings, priority, start), why


def test_thirty_business_days_across_the_new_year(settings: FeedbackSettings) -> None:
    """Christmas, Boxing Day (Monday 28th) and New Year's Day skipped: the 30th business day
    after Tuesday 15 December is Friday 29 January; 22.5bd falls on Tuesday 19 January."""
    long_sla = settings.model_copy(update={"sla": {"P4": "30bd"}})
    assert (london(2027, 1, 19, 21, 0), london(2027, 1, 29, 9, 0)) == sla_deadlines(
        long_sla, "P4", london(2026, 12, 15, 9, 0)
    )


def test_an_unknown_holiday_calendar_is_named(settings: FeedbackSettings) -> None:
    nowhere = settings.model_copy(update={"holidays": HolidayCalendar(country="XX")})
    with pytest.raises(
        CalendarUnavailable, match=r"feedback\.holidays: no holiday calendar for 'XX'"
    ):
        sla_deadlines(nowhere, "P1", london(2026, 11, 27, 15, 0))


def test_business_days_count_in_the_feedback_timezone(settings: FeedbackSettings) -> None:
    """Friday 23:30 UTC is Saturday morning in Tokyo, so the clock starts on Monday there."""
    tokyo = settings.model_copy(update={"timezone": "Asia/Tokyo", "holidays": None})
    friday_night = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)
    monday = datetime(2026, 11, 30, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert (
        monday + timedelta(days=1.5),
        monday + timedelta(days=2),
    ) == sla_deadlines(tokyo, "P1", friday_night)


def test_timezone_defaults_to_the_organization(settings: FeedbackSettings) -> None:
    """Unset, it is the organization's; set, it stays as written."""
    text = EXAMPLE_CONFIG.read_text().replace("feedback:\n", "feedback:\n  timezone: Asia/Tokyo\n")
    written = parse_config(text, source="x.yaml", base_dir=EXAMPLE_CONFIG.parent).feedback
    assert written is not None
    assert ("Europe/London", "Asia/Tokyo") == (settings.timezone, written.timezone)


def test_an_sla_over_a_year_of_business_days_is_refused(settings: FeedbackSettings) -> None:
    data = settings.model_dump() | {"sla": {"P4": "261bd"}}
    with pytest.raises(ValidationError, match="P4: 261bd is over 260 business days"):
        FeedbackSettings.model_validate(data)


@pytest.mark.parametrize("text", ["0bd", "2 bd", "2bh", "1bd12h", "two days"])
def test_bad_sla_durations_are_refused(settings: FeedbackSettings, text: str) -> None:
    data = settings.model_dump() | {"sla": {"P1": text}}
    with pytest.raises(ValidationError, match=f"P1: duration '{text}' is not like 2bd"):
        FeedbackSettings.model_validate(data)
