"""Activity that renders a run's KPI emails and archives them for the email activity to send."""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.progress import heartbeat
from opsrhythm.platform.rendering import RenderError
from opsrhythm.rituals.kpi_report.models import RENDER_REPORT, RenderedReport, RenderReportInput
from opsrhythm.rituals.kpi_report.rendering import ReportRenderer


class ReportingActivities:
    def __init__(self, renderer: ReportRenderer) -> None:
        self._renderer = renderer

    @activity.defn(name=RENDER_REPORT.name)
    def render_report(self, input: RenderReportInput) -> RenderedReport:
        """Sync on purpose: chart drawing is CPU-bound, so it runs in the worker's thread pool.

        Heartbeats with each audience's id as its email is archived. Archives under the run's
        own folder, so ``run --again`` keeps the earlier run's drafts.
        """
        try:
            run_id = activity.info().workflow_run_id or ""
            return self._renderer.render_report(input, heartbeat, run_id)
        except RenderError as error:
            # Same input, same template: a retry would fail the same way.
            raise ApplicationError(str(error), type="RenderError", non_retryable=True) from None
