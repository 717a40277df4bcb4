"""The process retrospective's entry in ``rituals[]``: the process under review, who takes
part, the format's prompts, the windows counted from the run's start, and the dot-vote limits."""

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
from opsrhythm.rituals.process_retro.kind import PROCESS_RETRO

RetroFormat = Literal["start-stop-continue", "4ls", "mad-sad-glad", "custom"]


class CustomPrompt(StrictModel):
    id: Slug = Field(description="What `retro add --prompt` names, e.g. 'keep'.")
    question: str = Field(min_length=1)


class RetroWindows(StrictModel):
    """Each window follows the one before, counted from the run's start (its scheduled time,
    or `opsrhythm run`); the facilitator's `retro advance` ends the current one early."""

    action_review: Duration = Field(
        default="1d", description="Owners of earlier retros' open actions report on them."
    )
    collection: Duration = Field(default="3d", description="Participants add their items.")
    reminders: list[Duration] = Field(
        default_factory=lambda: ["1d"],
        description="How long before collection closes each reminder goes to every participant.",
    )
    grouping: Duration = Field(
        default="4h", description="The facilitator merges and splits groups before voting."
    )
    voting: Duration = Field(default="1d", description="Participants place their dot votes.")
    actions: Duration = Field(
        default="1d", description="The facilitator turns top themes into actions; then the summary."
    )

    @model_validator(mode="after")
    def _reminders_inside_collection(self) -> RetroWindows:
        collection = parse_duration(self.collection)
        problems = [
            f"reminders[{i}]: {r} before collection closes is not inside collection "
            f"({self.collection})"
            for i, r in enumerate(self.reminders)
            if not timedelta(0) < parse_duration(r) < collection
        ]
        problems += [
            f"{name}: must be longer than zero"
            for name in ("collection", "voting")
            if not parse_duration(getattr(self, name))
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self


class ProcessRetroRitual(RitualBase):
    ritual_kind: ClassVar[PeriodicKind] = PROCESS_RETRO

    kind: Literal["process_retro"]
    process: str = Field(
        min_length=1, description="The process under review, e.g. 'release communication'."
    )
    audiences: list[Slug] = Field(
        default_factory=list,
        description="Who gets the summary; empty: the participants.",
    )
    participants: list[Slug] = Field(
        min_length=1, description="Person ids or audience ids (their members take part)."
    )
    format: RetroFormat = "start-stop-continue"
    prompts: list[CustomPrompt] = Field(
        default_factory=list, description="format custom: its prompts (ids unique)."
    )
    windows: RetroWindows = Field(default_factory=RetroWindows)
    votes_per_person: int = Field(default=5, ge=1, le=50, description="Dots each participant has.")
    votes_per_group: int = Field(
        default=3, ge=1, description="Most dots one participant may put on one group."
    )

    @model_validator(mode="after")
    def _prompts_and_votes(self) -> ProcessRetroRitual:
        problems: list[str] = []
        if self.format == "custom" and not self.prompts:
            problems.append("prompts: format custom needs at least one prompt")
        elif self.format != "custom" and self.prompts:
            problems.append(f"prompts: only used with format custom, not {self.format}")
        ids = [p.id for p in self.prompts]
        if len(set(ids)) != len(ids):
            problems.append("prompts: ids must be unique")
        if self.votes_per_group > self.votes_per_person:
            problems.append(
                f"votes_per_group: {self.votes_per_group} is more than votes_per_person "
                f"({self.votes_per_person})"
            )
        if self.approval is not None:
            problems.append("approval: a process retro has no sign-off; remove it")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def reference_problems(self, config: PlatformConfig) -> Iterator[tuple[str, str]]:
        people = {p.id for p in config.people}
        audiences = {a.id for a in config.audiences}
        for index, member in enumerate(self.participants):
            if member not in people and member not in audiences:
                yield (
                    f"participants[{index}]",
                    f"{member!r} is neither a person nor an audience",
                )
