"""A review's config turned into its plan: people resolved, every moment of the timeline in UTC.

Offsets count from the run's kick-off. Reminders fall on a day before the due date at 09:00
in each owner's own timezone (at once if that moment is already past); the meeting is on its
day at its time in the organisation's timezone; the pre-read goes that long before it.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from opsrhythm.platform.approvals.models import Contact
from opsrhythm.platform.approvals.plan import approval_plan
from opsrhythm.platform.config import PlatformConfig
from opsrhythm.platform.models import Recipient
from opsrhythm.platform.schedules.config import parse_duration
from opsrhythm.rituals.kpi_report.kpi_plans import kpi_plan
from opsrhythm.rituals.kpi_report.models import SourcePlan
from opsrhythm.rituals.strategy_review.config import ReviewItem, StrategyReviewRitual
from opsrhythm.rituals.strategy_review.models import (
    ReviewAudiencePlan,
    ReviewItemPlan,
    ReviewPlan,
    ReviewSectionPlan,
)

REMINDER_TIME = time(9, 0)


def review_plan(
    config: PlatformConfig, ritual: StrategyReviewRitual, period: str, kickoff_at: datetime
) -> ReviewPlan:
    """The snapshot one run works from; ``kickoff_at`` must be timezone-aware."""
    kickoff_at = kickoff_at.astimezone(UTC)
    timeline = ritual.timeline
    due_at = kickoff_at + parse_duration(timeline.due)
    meeting_at = local_moment(
        kickoff_at + parse_duration(timeline.meeting),
        ZoneInfo(config.organization.timezone),
        time.fromisoformat(timeline.meeting_at),
    )
    before_due = [parse_duration(r) for r in timeline.reminders]

    def contact(person_id: str) -> Contact:
        person = config.person(person_id)
        return Contact(name=person.name, email=person.email, timezone=person.timezone)

    def item_plan(kind: str, item: ReviewItem) -> ReviewItemPlan:
        owner = contact(item.owner)
        return ReviewItemPlan(
            item_id=item.id,
            kind="objective" if kind == "objectives" else "initiative",
            title=item.title,
            owner=owner,
            manager=contact(item.manager) if item.manager else None,
            reminders_at=reminder_times(due_at, before_due, ZoneInfo(owner.timezone), kickoff_at),
            audiences=item.audiences,
        )

    def recipient(person_id: str) -> Recipient:
        person = config.person(person_id)
        return Recipient(name=person.name, email=person.email)

    kpi_ids = list(dict.fromkeys(k for s in ritual.sections for k in s.kpis))
    kpis = [config.kpi(kpi_id) for kpi_id in kpi_ids]
    return ReviewPlan(
        ritual_id=ritual.id,
        ritual_name=ritual.name,
        organization=config.organization.name,
        timezone=config.organization.timezone,
        period=period,
        owner=recipient(ritual.owner),
        items=[item_plan(where.partition("[")[0], item) for where, item in ritual.items()],
        sections=[
            ReviewSectionPlan(
                section_id=s.id,
                title=s.title,
                content=s.content,
                audiences=s.audiences,
                kpi_ids=s.kpis,
            )
            for s in ritual.sections
        ],
        attendees=[recipient(p) for p in dict.fromkeys(ritual.attendees)],
        audiences=[
            ReviewAudiencePlan(
                audience_id=audience.id,
                name=audience.name,
                recipients=[recipient(member) for member in audience.members],
            )
            for audience in (config.audience(a) for a in ritual.audiences)
        ],
        kpis=[kpi_plan(k, recipient(k.owner)) for k in kpis],
        sources=[
            SourcePlan(source_id=s, kpi_ids=[k.id for k in kpis if k.source == s])
            for s in dict.fromkeys(k.source for k in kpis)
        ],
        approval=approval_plan(config, ritual),
        kickoff_at=kickoff_at,
        due_at=due_at,
        escalate_at=due_at + parse_duration(timeline.escalate),
        pre_read_at=meeting_at - parse_duration(timeline.pre_read),
        meeting_at=meeting_at,
        templates=ritual.templates_folder,
    )


def local_moment(moment: datetime, zone: ZoneInfo, at: time) -> datetime:
    """``at`` on the day ``moment`` falls on in ``zone``, in UTC."""
    day = moment.astimezone(zone).date()
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def reminder_times(
    due_at: datetime, before_due: list[timedelta], zone: ZoneInfo, kickoff_at: datetime
) -> list[datetime]:
    """09:00 local on each day before the due date; at kick-off if already past; sorted, none
    at or after the due time."""
    moments = {
        max(local_moment(due_at - before, zone, REMINDER_TIME), kickoff_at) for before in before_due
    }
    return sorted(moment for moment in moments if moment < due_at)
