"""The OpsRhythm config file: one YAML document, described by these pydantic models.

Only structure lives here. Cross-references between sections are checked in
``opsrhythm.config_loader``, which also turns every problem into a one-line message.
Secrets never appear in the file: sources name environment variables instead.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from opsrhythm.config_types import Email, Slug, StrictModel, Timezone
from opsrhythm.feedback.config import FeedbackSettings
from opsrhythm.schedules.config import Schedule


class Organization(StrictModel):
    name: str
    timezone: Timezone = "UTC"


class EmailSettings(StrictModel):
    from_email: Email
    from_name: str = "OpsRhythm"
    reply_to: Email | None = None
    unsubscribe_group_id: int | None = Field(
        default=None, description="SendGrid ASM group id added to every email, if set."
    )


class Person(StrictModel):
    id: Slug
    name: str
    email: Email
    role: str = ""
    timezone: Timezone = "UTC"


class Audience(StrictModel):
    id: Slug
    name: str
    members: list[Slug] = Field(min_length=1, description="Ids of people in this audience.")
    detail: Literal["summary", "detail"] = Field(
        default="detail",
        description="summary: headline numbers and exceptions; detail: every KPI with its trend.",
    )


class SqlSource(StrictModel):
    id: Slug
    kind: Literal["sql"]
    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL without a password; relative SQLite paths are relative "
        "to the config file.",
    )
    url_env: str | None = Field(
        default=None, description="Environment variable holding the URL, for URLs with secrets."
    )


class CsvSource(StrictModel):
    id: Slug
    kind: Literal["csv"]
    path: Path = Field(description="CSV file; relative to the config file.")
    period_column: str = "period"


class HttpSource(StrictModel):
    id: Slug
    kind: Literal["http"]
    url: str = Field(description="JSON endpoint; '{period}' is replaced with YYYY-MM.")
    token_env: str | None = Field(
        default=None, description="Environment variable holding a bearer token."
    )
    timeout_seconds: float = Field(default=10.0, gt=0)


Source = Annotated[SqlSource | CsvSource | HttpSource, Field(discriminator="kind")]


class Kpi(StrictModel):
    id: Slug
    name: str
    unit: str = ""
    format: str = Field(
        default="{value:,.0f}",
        description="Python format string with a {value} field, e.g. '£{value:,.0f}'.",
    )
    description: str = ""
    owner: Slug
    source: Slug
    query: str | None = Field(
        default=None,
        description="SQL sources: a query returning one number; binds :period_start and "
        ":period_end (ISO dates, end exclusive) and :period (YYYY-MM).",
    )
    column: str | None = Field(
        default=None,
        description="CSV sources: the column; HTTP sources: a dotted path into the JSON.",
    )
    aggregate: Literal["sum", "mean", "last"] = Field(
        default="sum", description="How CSV rows of one period combine."
    )
    target: float | None = None
    direction: Literal["higher", "lower"] = Field(
        default="higher", description="Which way is better for this KPI."
    )
    tolerance: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="How far short of target (as a fraction) still counts as at risk.",
    )
    notable_change: float | None = Field(
        default=None, gt=0, description="Relative move vs the previous period that is flagged."
    )
    audiences: list[Slug] = Field(min_length=1)

    @field_validator("format")
    @classmethod
    def _format_has_value_field(cls, text: str) -> str:
        fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        if fields != {"value"}:
            raise ValueError("format must contain exactly one {value} field, e.g. '{value:,.0f}'")
        try:
            text.format(value=1234.5)
        except (ValueError, TypeError) as error:
            raise ValueError(f"format {text!r} cannot format a number: {error}") from None
        return text


Duration = Annotated[str, Field(pattern=r"^(\d+[dhm])+$", examples=["3d", "1d12h", "90m"])]
Reminder = Annotated[
    str, Field(pattern=r"^(after|before) (\d+[dhm])+$", examples=["after 2d", "before 1d"])
]


class Approval(StrictModel):
    """Who must sign a ritual's draft off before it goes out, and what happens if nobody does."""

    approvers: list[Slug] = Field(min_length=1, description="Ids of the people who may decide.")
    policy: Literal["any", "all", "n_of_m"] = Field(
        default="any",
        description="any: one approval; all: every approver but the requester; n_of_m: "
        "'required' approvals.",
    )
    required: int | None = Field(default=None, ge=1, description="n_of_m: approvals needed.")
    veto: list[Slug] = Field(
        default_factory=list, description="Approvers whose rejection ends the request at once."
    )
    requester: Slug | None = Field(
        default=None,
        description="Who asks (default: the ritual owner); never approves their own request.",
    )
    deadline: Duration = Field(default="3d", description="Time to decide: '3d', '1d12h', '90m'.")
    reminders: list[Reminder] = Field(
        default_factory=lambda: ["before 1d"],
        description="When undecided approvers are reminded: 'after 2d' (from the request) or "
        "'before 1d' (the deadline).",
    )
    on_timeout: Literal["escalate", "approve", "reject"] = Field(
        default="reject",
        description="At the deadline: escalate to backup_approver, approve, or reject and stop.",
    )
    backup_approver: Slug | None = Field(
        default=None, description="Who decides after an escalation (on_timeout: escalate)."
    )


class Ritual(StrictModel):
    id: Slug
    kind: Literal["kpi_report"]
    name: str
    owner: Slug
    audiences: list[Slug] = Field(min_length=1)
    templates: str = Field(default="kpi_report", description="Folder under templates/.")
    kpis: list[Slug] | None = Field(
        default=None, description="KPIs in this ritual; all KPIs if omitted."
    )
    tolerance: float = Field(default=0.05, ge=0, le=1)
    notable_change: float = Field(default=0.10, gt=0)
    schedule: Schedule | None = None
    approval: Approval | None = Field(
        default=None, description="Sign-off of the draft before it is sent; none if omitted."
    )


class OpsRhythmConfig(StrictModel):
    organization: Organization
    email: EmailSettings
    people: list[Person] = Field(min_length=1)
    audiences: list[Audience] = Field(min_length=1)
    sources: list[Source] = Field(default_factory=list)
    kpis: list[Kpi] = Field(default_factory=list)
    rituals: list[Ritual] = Field(default_factory=list)
    feedback: FeedbackSettings | None = Field(
        default=None, description="Feedback triage: product areas, routing rules, SLAs."
    )

    _base_dir: Path = PrivateAttr(default=Path("."))

    @model_validator(mode="after")
    def _feedback_timezone_defaults_to_the_organization(self) -> OpsRhythmConfig:
        if self.feedback is not None and self.feedback.timezone is None:
            self.feedback.timezone = self.organization.timezone
        return self

    @property
    def base_dir(self) -> Path:
        """The folder relative paths in the file are resolved against."""
        return self._base_dir

    def person(self, person_id: str) -> Person:
        return next(p for p in self.people if p.id == person_id)

    def audience(self, audience_id: str) -> Audience:
        return next(a for a in self.audiences if a.id == audience_id)

    def source(self, source_id: str) -> SqlSource | CsvSource | HttpSource:
        return next(s for s in self.sources if s.id == source_id)

    def kpi(self, kpi_id: str) -> Kpi:
        return next(k for k in self.kpis if k.id == kpi_id)

    def ritual(self, ritual_id: str) -> Ritual:
        return next(r for r in self.rituals if r.id == ritual_id)
