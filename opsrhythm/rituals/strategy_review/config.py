"""The quarterly strategy review's entry in ``rituals[]``: what is reported on, by whom, which
parts of the pack each audience sees, and the timeline counted from the run's kick-off."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from opsrhythm.platform.approvals.config import Duration
from opsrhythm.platform.config import PlatformConfig, RitualBase
from opsrhythm.platform.config_types import Slug, StrictModel
from opsrhythm.platform.ritual_kind import PeriodicKind
from opsrhythm.platform.schedules.config import parse_duration
from opsrhythm.rituals.strategy_review.kind import STRATEGY_REVIEW
from opsrhythm.rituals.strategy_review.models import SectionContent


class ReviewItem(StrictModel):
    """An objective or initiative whose owner sends the quarter's status update."""

    id: Slug
    title: str = Field(min_length=1)
    owner: Slug = Field(description="The person who reports on it.")
    manager: Slug | None = Field(
        default=None, description="Told when the owner's update is late (timeline.escalate)."
    )
    audiences: list[Slug] | None = Field(
        default=None,
        description="Audiences whose published summary may mention it; default: every audience "
        "its sections reach.",
    )


class ReviewSection(StrictModel):
    """One part of the pack, and which audiences' published summaries include it."""

    id: Slug
    title: str = Field(min_length=1)
    content: SectionContent = Field(
        description="status (RAG and confidence), narrative, risks, asks, kpis or actions."
    )
    audiences: list[Slug] = Field(
        default_factory=list,
        description="Audiences whose summary includes it; empty: the pack only (attendees).",
    )
    kpis: list[Slug] = Field(
        default_factory=list, description="content kpis: the KPIs shown for the quarter."
    )


class ReviewTimeline(StrictModel):
    """Offsets from the run's kick-off (its scheduled time, or a manual run's start)."""

    due: Duration = Field(default="5d", description="Updates are due this long after kick-off.")
    reminders: list[Duration] = Field(
        default_factory=lambda: ["2d", "1d"],
        description="Days before the due date; each at 09:00 in the owner's own timezone.",
    )
    escalate: Duration = Field(
        default="1d", description="This long after the due date, late owners' managers are told."
    )
    meeting: Duration = Field(
        default="7d", description="The review meeting's day, counted from kick-off."
    )
    meeting_at: str = Field(
        default="14:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="The meeting's time of day (HH:MM) in the organisation's timezone.",
    )
    pre_read: Duration = Field(
        default="24h", description="The pack goes to the attendees this long before the meeting."
    )

    @model_validator(mode="after")
    def _in_order(self) -> ReviewTimeline:
        due, meeting = parse_duration(self.due), parse_duration(self.meeting)
        pre_read = parse_duration(self.pre_read)
        problems = [
            f"reminders[{i}]: {r} before the due date ({self.due}) is not after the kick-off"
            for i, r in enumerate(self.reminders)
            if not timedelta(0) < parse_duration(r) < due
        ]
        if not due:
            problems.append("due: must be longer than zero")
        if pre_read >= meeting:
            problems.append(f"pre_read: {self.pre_read} before the meeting is not after kick-off")
        elif due >= meeting - pre_read:
            problems.append(
                f"due: {self.due} is not before the pre-read "
                f"(meeting {self.meeting} minus pre_read {self.pre_read})"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self


class StrategyReviewRitual(RitualBase):
    ritual_kind: ClassVar[PeriodicKind] = STRATEGY_REVIEW

    kind: Literal["strategy_review"]
    objectives: list[ReviewItem] = Field(default_factory=list)
    initiatives: list[ReviewItem] = Field(default_factory=list)
    attendees: list[Slug] = Field(
        min_length=1, description="Ids of the people at the review meeting: they get the pack."
    )
    sections: list[ReviewSection] = Field(min_length=1)
    timeline: ReviewTimeline = Field(default_factory=ReviewTimeline)

    @model_validator(mode="after")
    def _something_to_review(self) -> StrategyReviewRitual:
        if not self.objectives and not self.initiatives:
            raise ValueError("needs at least one objective or initiative")
        return self

    def items(self) -> Iterator[tuple[str, ReviewItem]]:
        """(config path, item) for every objective, then every initiative."""
        for field in ("objectives", "initiatives"):
            for index, item in enumerate(getattr(self, field)):
                yield f"{field}[{index}]", item

    def reference_problems(self, config: PlatformConfig) -> Iterator[tuple[str, str]]:
        people = {p.id for p in config.people}
        kpis = {k.id for k in config.kpis}
        audiences = set(self.audiences)
        seen: set[str] = set()
        for where, item in self.items():
            if item.id in seen:
                yield f"{where}.id", f"duplicate item id {item.id!r}"
            seen.add(item.id)
            for field in ("owner", "manager"):
                person = getattr(item, field)
                if person is not None and person not in people:
                    yield f"{where}.{field}", _unknown("person", person, people)
            for a, audience in enumerate(item.audiences or []):
                if audience not in audiences:
                    yield f"{where}.audiences[{a}]", _not_the_rituals(audience, audiences)
        for index, person in enumerate(self.attendees):
            if person not in people:
                yield f"attendees[{index}]", _unknown("person", person, people)
        sections: set[str] = set()
        for index, section in enumerate(self.sections):
            where = f"sections[{index}]"
            if section.id in sections:
                yield f"{where}.id", f"duplicate section id {section.id!r}"
            sections.add(section.id)
            for a, audience in enumerate(section.audiences):
                if audience not in audiences:
                    yield f"{where}.audiences[{a}]", _not_the_rituals(audience, audiences)
            for k, kpi in enumerate(section.kpis):
                if kpi not in kpis:
                    yield f"{where}.kpis[{k}]", _unknown("KPI", kpi, kpis)
            if section.content == "kpis" and not section.kpis:
                yield f"{where}.kpis", "required for content kpis: which KPIs to show"
            elif section.content != "kpis" and section.kpis:
                yield f"{where}.kpis", f"only used with content kpis, not {section.content}"


def _unknown(kind: str, value: str, known: set[str]) -> str:
    return f"unknown {kind} {value!r}" + (f" (known: {', '.join(sorted(known))})" if known else "")


def _not_the_rituals(audience: str, audiences: set[str]) -> str:
    return f"{audience!r} is not one of the ritual's audiences ({', '.join(sorted(audiences))})"
