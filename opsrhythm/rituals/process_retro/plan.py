"""A retro's config turned into its plan: participants and summary recipients resolved, the
format's prompts spelled out, and every window's end in UTC, counted from the run's start."""

from __future__ import annotations

from datetime import UTC, datetime

from opsrhythm.platform.approvals.models import Contact
from opsrhythm.platform.config import Person, PlatformConfig
from opsrhythm.platform.models import Recipient
from opsrhythm.platform.schedules.config import parse_duration
from opsrhythm.rituals.process_retro.config import ProcessRetroRitual
from opsrhythm.rituals.process_retro.models import RetroPlan, RetroPrompt

FORMATS: dict[str, list[RetroPrompt]] = {
    "start-stop-continue": [
        RetroPrompt(prompt_id="start", question="What should we start doing?"),
        RetroPrompt(prompt_id="stop", question="What should we stop doing?"),
        RetroPrompt(prompt_id="continue", question="What should we keep doing?"),
    ],
    "4ls": [
        RetroPrompt(prompt_id="liked", question="What did you like?"),
        RetroPrompt(prompt_id="learned", question="What did you learn?"),
        RetroPrompt(prompt_id="lacked", question="What was missing?"),
        RetroPrompt(prompt_id="longed-for", question="What did you long for?"),
    ],
    "mad-sad-glad": [
        RetroPrompt(prompt_id="mad", question="What made you mad?"),
        RetroPrompt(prompt_id="sad", question="What made you sad?"),
        RetroPrompt(prompt_id="glad", question="What made you glad?"),
    ],
}


def retro_plan(
    config: PlatformConfig, ritual: ProcessRetroRitual, period: str, opened_at: datetime
) -> RetroPlan:
    """The snapshot one run works from; ``opened_at`` must be timezone-aware."""
    opened_at = opened_at.astimezone(UTC)
    windows = ritual.windows
    review_closes = opened_at + parse_duration(windows.action_review)
    collection_closes = review_closes + parse_duration(windows.collection)
    grouping_closes = collection_closes + parse_duration(windows.grouping)
    voting_closes = grouping_closes + parse_duration(windows.voting)
    participants = _participants(config, ritual.participants)
    if ritual.audiences:
        summary = [
            Recipient(name=person.name, email=person.email)
            for person in _people(config, ritual.audiences)
        ]
    else:
        summary = [Recipient(name=c.name, email=c.email) for c in participants]
    owner = config.person(ritual.owner)
    return RetroPlan(
        ritual_id=ritual.id,
        ritual_name=ritual.name,
        organization=config.organization.name,
        process=ritual.process,
        period=period,
        facilitator=Contact(name=owner.name, email=owner.email, timezone=owner.timezone),
        participants=participants,
        summary_audiences=list(ritual.audiences),
        summary_recipients=summary,
        format=ritual.format,
        prompts=_prompts(ritual),
        votes_per_person=ritual.votes_per_person,
        votes_per_group=ritual.votes_per_group,
        opened_at=opened_at,
        action_review_closes_at=review_closes,
        collection_closes_at=collection_closes,
        reminders_at=sorted(
            {collection_closes - parse_duration(before) for before in windows.reminders}
        ),
        grouping_closes_at=grouping_closes,
        voting_closes_at=voting_closes,
        actions_close_at=voting_closes + parse_duration(windows.actions),
        templates=ritual.templates_folder,
    )


def _prompts(ritual: ProcessRetroRitual) -> list[RetroPrompt]:
    if ritual.format == "custom":
        return [RetroPrompt(prompt_id=p.id, question=p.question) for p in ritual.prompts]
    return [prompt.model_copy() for prompt in FORMATS[ritual.format]]


def _participants(config: PlatformConfig, members: list[str]) -> list[Contact]:
    return [
        Contact(name=person.name, email=person.email, timezone=person.timezone)
        for person in _people(config, members)
    ]


def _people(config: PlatformConfig, ids: list[str]) -> list[Person]:
    """Person ids, or audience ids expanded to their members; each person once, in order."""
    known = {p.id for p in config.people}
    seen: dict[str, Person] = {}
    for member_id in ids:
        member_ids = [member_id] if member_id in known else config.audience(member_id).members
        for person_id in member_ids:
            person = config.person(person_id)
            seen.setdefault(person.email.lower(), person)
    return list(seen.values())
