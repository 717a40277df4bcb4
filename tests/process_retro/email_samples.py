"""A retro plan built by hand, themes as the retro store ranks them, and the email activities
wired to a temporary archive, for the tests of the retro's emails and summary."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NoReturn

from activities.process_retro import ProcessRetroActivities
from opsrhythm.platform import resources
from opsrhythm.platform.actions.models import ActionItem
from opsrhythm.platform.actions.store import ActionStore
from opsrhythm.platform.approvals.links import LinkSigner
from opsrhythm.platform.approvals.models import Contact
from opsrhythm.platform.config import PlatformConfig
from opsrhythm.platform.mail.outbox import OutboxTransport
from opsrhythm.platform.models import Recipient, RenderedEmail
from opsrhythm.platform.ritual_kind import WorkerContext
from opsrhythm.rituals.process_retro.links import RetroLinks
from opsrhythm.rituals.process_retro.models import RetroCounts, RetroPlan, RetroPrompt
from opsrhythm.rituals.process_retro.summary import RetroReader

WORKFLOW = "process-retro-2026-W49"
RITUAL = "process-retro"
SECRET = "a-retro-secret-long-enough"
LINKS = RetroLinks(LinkSigner(SECRET), "https://ops.acme.example")
ANA = Contact(name="Ana Silva", email="ana@acme.example", timezone="Europe/London")
CHLOE = Contact(name="Chloé Dubois", email="chloe@acme.example", timezone="Europe/Paris")
GRACE = Contact(name="Grace Kim", email="grace@acme.example", timezone="America/New_York")
EMMA = Contact(name="Emma Larsen", email="emma@acme.example", timezone="Europe/Copenhagen")
PARTICIPANTS = [CHLOE, GRACE, EMMA, ANA]


def plan(**changes: object) -> RetroPlan:
    """Start/stop/continue on release communication; Ana facilitates and takes part."""
    return RetroPlan(
        ritual_id=RITUAL,
        ritual_name="Process retro",
        organization="Acme Analytics",
        process="release communication",
        period="2026-W49",
        facilitator=ANA,
        participants=PARTICIPANTS,
        summary_audiences=[],
        summary_recipients=[Recipient(name=p.name, email=p.email) for p in PARTICIPANTS],
        format="start-stop-continue",
        prompts=[
            RetroPrompt(prompt_id="start", question="What should we start doing?"),
            RetroPrompt(prompt_id="stop", question="What should we stop doing?"),
            RetroPrompt(prompt_id="continue", question="What should we keep doing?"),
        ],
        votes_per_person=3,
        votes_per_group=2,
        opened_at=datetime(2026, 11, 30, 9, tzinfo=UTC),
        action_review_closes_at=datetime(2026, 12, 1, 9, tzinfo=UTC),
        collection_closes_at=datetime(2026, 12, 4, 9, tzinfo=UTC),
        reminders_at=[datetime(2026, 12, 3, 9, tzinfo=UTC)],
        voting_closes_at=datetime(2026, 12, 5, 9, tzinfo=UTC),
        actions_close_at=datetime(2026, 12, 6, 9, tzinfo=UTC),
    ).model_copy(update=changes)


@dataclass(frozen=True)
class Item:
    prompt_id: str
    text: str
    signed_name: str | None = None


@dataclass(frozen=True)
class Group:
    group_id: str
    votes: int
    items: tuple[Item, ...]

    @property
    def title(self) -> str:
        return self.items[0].text if self.items else ""


@dataclass
class FakeRetroStore:
    """The retro store's read side, as the email activities use it."""

    groups: list[Group] = field(default_factory=list)
    counted: RetroCounts = field(default_factory=RetroCounts)

    def ranked_groups(self, workflow_id: str) -> Sequence[Group]:
        assert WORKFLOW == workflow_id
        return sorted(self.groups, key=lambda g: -g.votes)

    def counts(self, workflow_id: str) -> RetroCounts:
        assert WORKFLOW == workflow_id
        return self.counted


def action(
    title: str,
    owner: Contact,
    action_id: str,
    due: date = date(2026, 11, 20),
    period: str = "2026-W43",
) -> ActionItem:
    return ActionItem(
        action_id=action_id,
        origin=f"{RITUAL}-{period}",
        ritual_id=RITUAL,
        period=period,
        title=title,
        owner_email=owner.email,
        owner_name=owner.name,
        due=due,
    )


def activities(
    config: PlatformConfig,
    archive: Path,
    links: RetroLinks | None = LINKS,
    retro: RetroReader | None = None,
    actions: ActionStore | None = None,
    today: date = date(2026, 12, 6),
    open_action_store: Callable[[], ActionStore] | None = None,
) -> ProcessRetroActivities:
    context = WorkerContext(
        config=config,
        templates_dir=resources.templates_dir(),
        archive_dir=archive,
        transport=OutboxTransport(archive.parent / "outbox", config.email),
        send_ledger=_no_ledger,
    )
    return ProcessRetroActivities(
        context,
        links=lambda: links,
        open_retro_store=lambda: retro or FakeRetroStore(),
        open_action_store=open_action_store or (lambda: actions or _no_store()),
        clock=lambda: datetime.combine(today, datetime.min.time(), tzinfo=UTC),
    )


def _no_ledger() -> NoReturn:
    raise AssertionError("rendering never sends")


def _no_store() -> NoReturn:
    raise AssertionError("this rendering reads no actions store")


def read_email(path: str | Path) -> RenderedEmail:
    return RenderedEmail.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))


def every_file_text(folder: Path) -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file()}
