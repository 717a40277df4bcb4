"""A review plan built by hand, and the activities wired to a temporary archive, for the
tests of the review's emails, pack and KPI context."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NoReturn

from activities.strategy_review import StrategyReviewActivities
from opsrhythm.platform import resources
from opsrhythm.platform.actions.models import ActionItem
from opsrhythm.platform.approvals.links import LinkSigner
from opsrhythm.platform.approvals.models import Contact
from opsrhythm.platform.config import PlatformConfig
from opsrhythm.platform.mail.outbox import OutboxTransport
from opsrhythm.platform.models import Recipient, RenderedEmail
from opsrhythm.platform.ritual_kind import WorkerContext
from opsrhythm.rituals.kpi_report.models import KpiPlan
from opsrhythm.rituals.strategy_review.links import ReviewLinks
from opsrhythm.rituals.strategy_review.models import (
    QuarterKpi,
    ReviewAudiencePlan,
    ReviewItemPlan,
    ReviewPlan,
    ReviewSectionPlan,
    StatusSubmission,
    SubmittedStatus,
)

WORKFLOW = "quarterly-strategy-review-2026-Q4"
SIGNER = LinkSigner("a-review-secret-long-enough")
PUBLIC_URL = "https://ops.acme.example"
CHLOE = Contact(name="Chloé Dubois", email="chloe@acme.example", timezone="Europe/Paris")
GRACE = Contact(name="Grace Kim", email="grace@acme.example", timezone="America/New_York")
EMMA = Contact(name="Emma Larsen", email="emma@acme.example", timezone="Europe/Copenhagen")
BEN = Contact(name="Ben Carter", email="ben@acme.example", timezone="Europe/London")
DEV = Contact(name="Dev Patel", email="dev@acme.example", timezone="Europe/London")
HUGO = Recipient(name="Hugo Novak", email="hugo@acme.example")
MRR = KpiPlan(
    kpi_id="mrr",
    name="Monthly recurring revenue",
    unit="GBP",
    format="£{value:,.0f}",
    direction="higher",
    target=500000,
    tolerance=0.05,
    notable_change=0.1,
    owner=Recipient(name=CHLOE.name, email=CHLOE.email),
)


def plan(**changes: object) -> ReviewPlan:
    """Three owners; a risks section for leadership only; an item kept from sales."""
    return ReviewPlan(
        ritual_id="quarterly-strategy-review",
        ritual_name="Quarterly strategy review",
        organization="Acme Analytics",
        timezone="Europe/London",
        period="2026-Q4",
        owner=Recipient(name="Ana Silva", email="ana@acme.example"),
        items=[
            ReviewItemPlan(
                item_id="grow-revenue", kind="objective", title="Grow MRR", owner=CHLOE, manager=BEN
            ),
            ReviewItemPlan(
                item_id="reduce-churn",
                kind="objective",
                title="Cut churn",
                owner=GRACE,
                manager=DEV,
                audiences=["leadership"],
            ),
            ReviewItemPlan(
                item_id="insights", kind="initiative", title="Insights everywhere", owner=EMMA
            ),
        ],
        sections=[
            ReviewSectionPlan(
                section_id="status",
                title="Where we stand",
                content="status",
                audiences=["leadership", "sales"],
            ),
            ReviewSectionPlan(
                section_id="narrative",
                title="What happened",
                content="narrative",
                audiences=["leadership", "sales"],
            ),
            ReviewSectionPlan(
                section_id="numbers",
                title="In numbers",
                content="kpis",
                audiences=["leadership", "sales"],
                kpi_ids=["mrr"],
            ),
            ReviewSectionPlan(
                section_id="risks",
                title="Internal risks",
                content="risks",
                audiences=["leadership"],
            ),
            ReviewSectionPlan(
                section_id="asks", title="Asks of leadership", content="asks", audiences=[]
            ),
            ReviewSectionPlan(
                section_id="actions", title="Actions", content="actions", audiences=["leadership"]
            ),
        ],
        attendees=[Recipient(name=BEN.name, email=BEN.email)],
        audiences=[
            ReviewAudiencePlan(
                audience_id="leadership",
                name="Leadership",
                recipients=[Recipient(name=BEN.name, email=BEN.email)],
            ),
            ReviewAudiencePlan(audience_id="sales", name="Sales", recipients=[HUGO]),
        ],
        kpis=[MRR],
        kickoff_at=datetime(2027, 1, 4, 9, tzinfo=UTC),
        due_at=datetime(2027, 1, 8, 9, tzinfo=UTC),
        escalate_at=datetime(2027, 1, 11, 9, tzinfo=UTC),
        pre_read_at=datetime(2027, 1, 11, 14, tzinfo=UTC),
        meeting_at=datetime(2027, 1, 12, 14, tzinfo=UTC),
    ).model_copy(update=changes)


def submitted(
    item_id: str, owner: Contact, narrative: str, version: int = 1, **fields: object
) -> SubmittedStatus:
    submission = StatusSubmission.model_validate(
        {
            "item_id": item_id,
            "owner": owner.email,
            "rag": "amber",
            "confidence": 70,
            "narrative": narrative,
        }
        | fields
    )
    return SubmittedStatus(
        submission=submission,
        version=version,
        submitted_at=datetime(2027, 1, 6, tzinfo=UTC),
        late=False,
    )


def action(title: str, owner: Contact, action_id: str = "a-1") -> ActionItem:
    return ActionItem(
        action_id=action_id,
        origin="quarterly-strategy-review-2026-Q3",
        ritual_id="quarterly-strategy-review",
        period="2026-Q3",
        title=title,
        owner_email=owner.email,
        owner_name=owner.name,
        due=date(2027, 1, 15),
    )


def mrr_row(value: float | None = 495000.0) -> QuarterKpi:
    return QuarterKpi(
        kpi=MRR,
        value=value,
        previous_quarter=480000.0,
        year_ago=450000.0,
        target=500000.0,
        months=["2026-10", "2026-11", "2026-12"],
    )


def activities(
    config: PlatformConfig, archive: Path, links: ReviewLinks | None = None
) -> StrategyReviewActivities:
    context = WorkerContext(
        config=config,
        templates_dir=resources.templates_dir(),
        archive_dir=archive,
        transport=OutboxTransport(archive.parent / "outbox", config.email),
        send_ledger=_no_ledger,
    )
    return StrategyReviewActivities(context, links=lambda: links)


def _no_ledger() -> NoReturn:
    raise AssertionError("rendering never sends")


def read_email(path: str | Path) -> RenderedEmail:
    return RenderedEmail.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))


def every_file_text(folder: Path) -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file()}
