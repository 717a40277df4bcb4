"""The strategy review's content activities: owners' emails, the quarter's KPI context and
the pre-read pack with its publish summaries.

Rendering signs the owners' form links in the worker, where OPSRHYTHM_SECRET lives, so
neither the secret nor the links enter workflow history: only the stored emails' paths do.
"""

from __future__ import annotations

from collections.abc import Callable

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.kpi_data import KpiDataActivities
from activities.progress import heartbeat
from opsrhythm.platform.periods import Month
from opsrhythm.platform.rendering import RenderError
from opsrhythm.platform.ritual_kind import WorkerContext
from opsrhythm.rituals.kpi_report.models import GatherSourceInput, SourceValues
from opsrhythm.rituals.strategy_review.links import ReviewLinks, review_links_from_environment
from opsrhythm.rituals.strategy_review.models import (
    GATHER_QUARTER_KPIS,
    RENDER_PACK,
    RENDER_REVIEW_EMAILS,
    QuarterKpis,
    QuarterKpisInput,
    RenderedPack,
    RenderPackInput,
    ReviewEmailInput,
    ReviewEmails,
)
from opsrhythm.rituals.strategy_review.pack import PackRenderer
from opsrhythm.rituals.strategy_review.quarter_kpis import (
    QuarterAggregate,
    SourceFailed,
    gather_quarter,
)
from opsrhythm.rituals.strategy_review.rendering import ReviewEmailRenderer

SOURCES_UNAVAILABLE = "SourcesUnavailable"
DEGRADE_AFTER_ATTEMPTS = 3
"""A source that is down fails the activity (Temporal retries it) for this many attempts;
after that its KPIs carry the outage as their error, so the pack is never held up by it."""


class StrategyReviewActivities:
    def __init__(
        self,
        context: WorkerContext,
        links: Callable[[], ReviewLinks | None] = review_links_from_environment,
    ) -> None:
        """``links``: how the owners' form links are signed (None: the emails give commands)."""
        self._config = context.config
        self._emails = ReviewEmailRenderer(context.templates_dir, context.archive_dir, links())
        self._pack = PackRenderer(context.templates_dir, context.archive_dir)
        self._kpi_data = KpiDataActivities(context.config)

    @activity.defn(name=RENDER_REVIEW_EMAILS.name)
    def render_review_emails(self, input: ReviewEmailInput) -> ReviewEmails:
        """One kick-off or reminder email per owner, or escalation per manager; heartbeats
        with how many are done (never an address: heartbeat details show in the UI)."""
        if not input.run_id:
            input = input.model_copy(update={"run_id": activity.info().workflow_run_id or ""})
        try:
            return self._emails.render_emails(input, heartbeat)
        except RenderError as error:
            raise ApplicationError(str(error), type="RenderError", non_retryable=True) from None

    @activity.defn(name=GATHER_QUARTER_KPIS.name)
    def gather_quarter_kpis(self, input: QuarterKpisInput) -> QuarterKpis:
        """Each KPI for the quarter, the previous one, a year ago and its target.

        A KPI or source that cannot be read gets its error on its own rows; a source that is
        down is retried (by failing the attempt) up to DEGRADE_AFTER_ATTEMPTS first.
        """
        configured = {kpi.id: kpi for kpi in self._config.kpis}
        aggregates: dict[str, QuarterAggregate] = {}
        gone: dict[str, str] = {}
        for kpi in input.plan.kpis:
            if kpi.kpi_id in configured:
                aggregates[kpi.kpi_id] = configured[kpi.kpi_id].quarter_aggregate
            else:
                gone[kpi.kpi_id] = f"KPI {kpi.kpi_id!r} is no longer in the config"
        gathered = gather_quarter(input.plan, self._read, aggregates, gone)
        attempt = activity.info().attempt if activity.in_activity() else DEGRADE_AFTER_ATTEMPTS
        if gathered.unavailable and attempt < DEGRADE_AFTER_ATTEMPTS:
            raise ApplicationError(
                "; ".join(gathered.unavailable), type=SOURCES_UNAVAILABLE, non_retryable=False
            )
        return QuarterKpis(kpis=gathered.kpis)

    def _read(self, source_id: str, kpi_ids: list[str], months: list[Month]) -> SourceValues:
        """The KPI report's own reading (SQL, CSV, HTTP; secrets from the environment)."""
        if not any(source.id == source_id for source in self._config.sources):
            raise SourceFailed(f"source {source_id!r} is no longer in the config", retryable=False)
        request = GatherSourceInput(
            source_id=source_id, kpi_ids=kpi_ids, periods=[str(month) for month in months]
        )
        try:
            return self._kpi_data.gather_source(request)
        except ApplicationError as error:
            raise SourceFailed(error.message, retryable=not error.non_retryable) from None

    @activity.defn(name=RENDER_PACK.name)
    def render_review_pack(self, input: RenderPackInput) -> RenderedPack:
        """The pack, the pre-read email and each audience's summary, archived for round N."""
        try:
            run_id = activity.info().workflow_run_id or ""
            return self._pack.render_pack(input, run_id, heartbeat)
        except RenderError as error:
            raise ApplicationError(str(error), type="RenderError", non_retryable=True) from None
