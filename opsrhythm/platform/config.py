"""The config sections every ritual shares, and the base of every ritual's own entry.

Only structure lives here. Cross-references between sections are checked in
``opsrhythm.config_loader``. Secrets never appear in the file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator

from opsrhythm.platform.approvals.config import Approval
from opsrhythm.platform.config_types import Email, Slug, StrictModel, Timezone
from opsrhythm.platform.kpi_config import CsvSource, HttpSource, Kpi, Source, SqlSource
from opsrhythm.platform.schedules.config import Schedule

if TYPE_CHECKING:
    from opsrhythm.platform.ritual_kind import PeriodicKind


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


class Notify(StrictModel):
    """Where owner notices go when email itself fails: the outbox folder, and a webhook."""

    webhook_url_env: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description=(
            "Environment variable holding a Slack-compatible incoming-webhook URL; owner "
            'notices that cannot be emailed are POSTed there as {"text": ...}.'
        ),
    )


class Person(StrictModel):
    id: Slug
    name: str
    email: Email
    role: str = ""
    timezone: Timezone = "UTC"


class ApprovalSettings(StrictModel):
    """Settings of the approval step that are not any one ritual's."""

    cli_users: dict[str, Slug] = Field(
        default_factory=dict,
        description="OS user name -> person id: the approval commands then act only as the "
        "person mapped to the OS user running them (--as may be omitted).",
    )


class Audience(StrictModel):
    id: Slug
    name: str
    members: list[Slug] = Field(min_length=1, description="Ids of people in this audience.")
    detail: Literal["summary", "detail"] = Field(
        default="detail",
        description="summary: headline numbers and exceptions; detail: every KPI with its trend.",
    )


class RitualBase(StrictModel):
    """What every entry of ``rituals[]`` has; each kind adds its own fields and ``kind`` tag."""

    ritual_kind: ClassVar[PeriodicKind]
    """The kind's registry entry: its workflow, period type and default templates."""

    id: Slug
    kind: str
    name: str
    owner: Slug
    audiences: list[Slug] = Field(min_length=1)
    templates: str | None = Field(
        default=None, description="Folder under templates/ (default: the kind's own)."
    )
    schedule: Schedule | None = None
    approval: Approval | None = Field(
        default=None, description="Sign-off of the draft before it is sent; none if omitted."
    )

    @property
    def templates_folder(self) -> str:
        folder = self.templates or self.ritual_kind.templates
        assert folder is not None, f"kind {self.kind} renders no templates"
        return folder

    def reference_problems(self, config: PlatformConfig) -> Iterator[tuple[str, str]]:
        """Broken references in the kind's own fields, as (field path, message)."""
        return iter(())


class PlatformConfig(StrictModel):
    """The shared sections; ``opsrhythm.config.OpsRhythmConfig`` adds the rituals' own."""

    organization: Organization
    email: EmailSettings
    people: list[Person] = Field(min_length=1)
    audiences: list[Audience] = Field(min_length=1)
    sources: list[Source] = Field(default_factory=list)
    kpis: list[Kpi] = Field(default_factory=list)
    rituals: Sequence[RitualBase] = Field(default_factory=list)
    notify: Notify | None = Field(
        default=None,
        description="Where owner notices go when email fails: the outbox folder, and a webhook.",
    )
    approvals: ApprovalSettings | None = Field(
        default=None, description="Who the CLI may decide approvals as (cli_users)."
    )

    _base_dir: Path = PrivateAttr(default=Path("."))

    @field_validator("approvals")
    @classmethod
    def _cli_users_are_people(
        cls, approvals: ApprovalSettings | None, info: ValidationInfo
    ) -> ApprovalSettings | None:
        people = info.data.get("people")  # absent when the people section itself is invalid
        if approvals is None or people is None:
            return approvals
        known = {person.id for person in people}
        unknown = [
            f"cli_users.{user}: unknown person {person_id!r}"
            for user, person_id in approvals.cli_users.items()
            if person_id not in known
        ]
        if unknown:
            raise ValueError("; ".join(unknown) + f" (known: {', '.join(sorted(known))})")
        return approvals

    def cli_users(self) -> dict[str, str]:
        """``approvals.cli_users`` as OS user -> email; empty when not configured."""
        mapped = self.approvals.cli_users if self.approvals else {}
        return {user: self.person(person_id).email for user, person_id in mapped.items()}

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

    def ritual(self, ritual_id: str) -> RitualBase:
        return next(r for r in self.rituals if r.id == ritual_id)
