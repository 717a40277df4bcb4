"""The ``feedback:`` config section: product areas, ordered routing rules, scoring and SLAs.

Structure only; references to people and areas are checked by ``feedback_problems``, which the
config loader calls alongside its other cross-reference checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from pydantic import Field, field_validator

from opsrhythm.platform.config_types import Slug, StrictModel, Timezone
from opsrhythm.platform.schedules.config import Holidays
from opsrhythm.rituals.feedback.vocabulary import FeedbackSource

Priority = Literal["P1", "P2", "P3", "P4"]
InputField = Literal[
    "text",
    "submitter",
    "source",
    "customer",
    "segment",
    "arr",
    "created_at",
    "tags",
    "external_id",
]
"""The columns a feedback file (or the keys a JSON object) may have, documented in the README."""
SlaDuration = str
BUSINESS_DAYS = re.compile(r"([1-9]\d*)bd")
MAX_BUSINESS_DAYS = 260
"""A year of business days: an SLA longer than that is a typo."""


class ProductArea(StrictModel):
    id: Slug
    name: str
    owner_team: Slug = Field(description="The team that owns the area's feedback.")
    owner: Slug = Field(description="Person id: gets the area's items and SLA warnings.")
    lead: Slug = Field(description="Person id: gets escalations when an SLA is breached.")


class RuleMatch(StrictModel):
    """Every condition given must hold; within a list, any entry may match."""

    keywords: list[str] = Field(
        default_factory=list,
        description="Words or phrases, case-blind; plurals and simple word forms match too "
        "('invoice' matches 'invoices', 'invoicing', 'invoiced').",
    )
    regex: str | None = Field(default=None, description="Python regular expression, case-blind.")
    tags: list[str] = Field(default_factory=list)
    sources: list[FeedbackSource] = Field(default_factory=list)
    segments: list[str] = Field(default_factory=list)
    min_arr: float | None = Field(default=None, ge=0, description="ARR at least this.")
    max_arr: float | None = Field(default=None, ge=0, description="ARR below this.")

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"invalid regex: {error}") from None
        return value


class Rule(StrictModel):
    id: Slug
    match: RuleMatch
    area: Slug
    priority: Priority = "P3"
    owner_team: Slug | None = Field(default=None, description="Default: the area's owner team.")


class TriageQueue(StrictModel):
    """Where unmatched items go: the ops rotation, assigned round robin."""

    owner_team: Slug = "product-ops"
    rotation: list[Slug] = Field(min_length=1, description="Person ids, in turn.")
    lead: Slug | None = Field(
        default=None, description="Person id for escalations; default: the first in rotation."
    )
    priority: Priority = "P3"


class Scoring(StrictModel):
    """Priority score = min(ARR / arr_per_point, arr_cap) + segment weight + source weight."""

    arr_per_point: float = Field(default=10_000, gt=0)
    arr_cap: float = Field(default=50, ge=0)
    segments: dict[str, float] = Field(default_factory=dict)
    sources: dict[FeedbackSource, float] = Field(default_factory=dict)


class Dedupe(StrictModel):
    """Word-set (Jaccard) similarity from which an item is linked to an earlier one."""

    same_customer: float = Field(default=0.5, gt=0, le=1, description="Same customer.")
    any_customer: float = Field(default=0.8, gt=0, le=1, description="Any two items.")


def _default_sla() -> dict[Priority, str]:
    return {"P1": "2bd", "P2": "5bd", "P3": "10bd", "P4": "30bd"}


class FeedbackSettings(StrictModel):
    areas: list[ProductArea] = Field(min_length=1)
    rules: list[Rule] = Field(default_factory=list, description="Ordered; the first match wins.")
    triage: TriageQueue
    scoring: Scoring = Field(default_factory=Scoring)
    dedupe: Dedupe = Field(default_factory=Dedupe)
    sla: dict[Priority, SlaDuration] = Field(
        default_factory=_default_sla,
        description="Time to acknowledge, per priority: business days ('2bd') or calendar "
        "time ('2d', '12h', '1d12h').",
    )
    timezone: Timezone | None = Field(
        default=None, description="Business days are counted here; default: the organization's."
    )
    holidays: Holidays = Field(
        default=None,
        description="Days that are not business days: a country code (GB) or "
        "{country: GB, subdivision: ENG}; weekends always are not.",
    )
    reply_window: str = Field(
        default="15m",
        pattern=r"^(\d+[dhm])+$",
        description="Resolutions for one submitter within this window go out as one email.",
    )
    digest_weekday: int = Field(
        default=0, ge=0, le=6, description="Weekly digest day, 0 = Monday (organization timezone)."
    )
    digest_at: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    sla_warning: float = Field(
        default=0.75, gt=0, lt=1, description="Warn the owner at this fraction of the SLA."
    )
    sla_start: Literal["received", "created_at"] = Field(
        default="received",
        description="When an item's SLA clock starts: 'received' (when OpsRhythm stores it) or "
        "'created_at' (the time its row gives, when earlier: old rows may be due at once).",
    )
    columns: dict[str, InputField] = Field(
        default_factory=dict,
        description="Your files' own column names (case-blind) and the field each one fills, "
        "e.g. {created: created_at, id: external_id}.",
    )

    @field_validator("sla")
    @classmethod
    def _durations(cls, value: dict[str, str]) -> dict[str, str]:
        for priority, text in value.items():
            business = BUSINESS_DAYS.fullmatch(text)
            if business is None and not re.fullmatch(r"(\d+[dhm])+", text):
                raise ValueError(
                    f"{priority}: duration {text!r} is not like 2bd (business days), 2d or 1d12h"
                )
            if business is not None and int(business.group(1)) > MAX_BUSINESS_DAYS:
                raise ValueError(f"{priority}: {text} is over {MAX_BUSINESS_DAYS} business days")
        return value

    @field_validator("columns")
    @classmethod
    def _column_names(cls, value: dict[str, str]) -> dict[str, str]:
        names = {name.strip().lower(): field for name, field in value.items()}
        if "" in names:
            raise ValueError("a column name is empty")
        return names

    def area(self, area_id: str) -> ProductArea:
        return next(a for a in self.areas if a.id == area_id)


def feedback_problems(settings: FeedbackSettings, people: set[str]) -> Iterator[tuple[str, str]]:
    """(path under ``feedback``, message) for every dangling reference."""
    areas: set[str] = set()
    for index, area in enumerate(settings.areas):
        if area.id in areas:
            yield f"areas[{index}].id", f"duplicate id {area.id!r}"
        areas.add(area.id)
        for field in ("owner", "lead"):
            if getattr(area, field) not in people:
                yield f"areas[{index}].{field}", f"unknown person {getattr(area, field)!r}"
    rules: set[str] = set()
    for index, rule in enumerate(settings.rules):
        if rule.id in rules:
            yield f"rules[{index}].id", f"duplicate id {rule.id!r}"
        rules.add(rule.id)
        if rule.area not in areas:
            yield (
                f"rules[{index}].area",
                f"unknown area {rule.area!r} (known: {', '.join(sorted(areas))})",
            )
    for index, person in enumerate(settings.triage.rotation):
        if person not in people:
            yield f"triage.rotation[{index}]", f"unknown person {person!r}"
    if settings.triage.lead is not None and settings.triage.lead not in people:
        yield "triage.lead", f"unknown person {settings.triage.lead!r}"
