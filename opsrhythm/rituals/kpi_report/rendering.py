"""Renders KPI report emails per audience with Jinja2 and archives them on disk.

The archive is the hand-over to the email activity: Temporal history carries only the
paths. Every file is written atomically and rendering is deterministic, so a retried
activity rewrites identical files.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from opsrhythm.platform.models import InlineImage, RenderedEmail
from opsrhythm.platform.periods import Month
from opsrhythm.platform.rendering import (
    RenderError,
    environment,
    render_template,
    render_with,
    safe_name,
    write_atomic,
)
from opsrhythm.rituals.kpi_report import formatting
from opsrhythm.rituals.kpi_report.archive_runs import run_folder
from opsrhythm.rituals.kpi_report.charts import trend_chart_png
from opsrhythm.rituals.kpi_report.models import (
    INDEX_NAME,
    KpiFigures,
    RenderedMessage,
    RenderedReport,
    RenderReportInput,
)
from opsrhythm.rituals.kpi_report.report_view import AudienceView, audience_view

if TYPE_CHECKING:
    from jinja2 import Environment

_CID_RE = re.compile(r"cid:chart-([^\s\"'@]+)@opsrhythm")


def chart_content_id(kpi_id: str) -> str:
    return f"chart-{kpi_id}@opsrhythm"


def chart_filename(kpi_id: str) -> str:
    return f"chart-{kpi_id}.png"


@lru_cache(maxsize=8)
def _environment(templates_dir: Path) -> Environment:
    """The shared environment plus the KPI filters the report templates use."""
    jinja = environment(templates_dir).overlay()
    jinja.filters.update(formatting.FILTERS)
    jinja.globals.update(formatting.GLOBALS)
    return jinja


class ReportRenderer:
    def __init__(self, templates_dir: Path, archive_dir: Path) -> None:
        self._templates_dir = templates_dir
        self._archive_dir = archive_dir

    def render_report(
        self,
        input: RenderReportInput,
        progress: Callable[[str], None] | None = None,
        run_id: str = "",
    ) -> RenderedReport:
        """Render and archive one email per audience, from the plan's folder under templates/.

        ``progress`` is told each audience id as its email is archived (the activity heartbeats).
        ``run_id``: the rendering run's, so a later run of the id archives apart (archive_runs).
        """
        template_folder = safe_name(input.plan.templates, "template folder")
        run_dir = run_folder(self._archive_dir, input.workflow_id, run_id, input.round)
        figures = {f.kpi.kpi_id: f for f in input.figures}
        charts: dict[str, bytes] = {}
        messages: list[RenderedMessage] = []
        views: list[AudienceView] = []
        for audience in input.plan.audiences:
            audience_id = safe_name(audience.audience_id, "audience id")
            if f"{audience_id}.html" == INDEX_NAME:
                raise RenderError(f"audience id {audience_id!r} clashes with the archive index")
            try:
                view = audience_view(input.plan, audience, figures)
            except ValueError as error:
                raise RenderError(str(error)) from None
            email = self._render_email(view, template_folder, figures, charts, run_dir)
            json_path = run_dir / f"{audience_id}.json"
            write_atomic(json_path, email.model_dump_json(indent=2).encode())
            archived = email.html
            for image in email.inline_images:
                archived = archived.replace(f"cid:{image.content_id}", image.filename)
            write_atomic(run_dir / f"{audience_id}.html", archived.encode())
            messages.append(
                RenderedMessage(audience_id=audience_id, subject=view.subject, path=str(json_path))
            )
            views.append(view)
            if progress is not None:
                progress(audience_id)
        context = {
            "plan": input.plan,
            "period_label": Month.parse(input.plan.period).label,
            "audiences": views,
        }
        index = render_template(self._templates_dir, "archive_index.html", context)
        write_atomic(run_dir / INDEX_NAME, index.encode())
        return RenderedReport(archive_location=str(run_dir), messages=messages)

    def _render_email(
        self,
        view: AudienceView,
        template_folder: str,
        figures: dict[str, KpiFigures],
        charts: dict[str, bytes],
        run_dir: Path,
    ) -> RenderedEmail:
        chart_src = {k.kpi_id: f"cid:{chart_content_id(k.kpi_id)}" for k in view.kpis}
        context = {
            "view": view,
            "chart_src": chart_src,
            "organization": view.organization,
            "ritual_name": view.ritual_name,
        }
        html = render_with(
            _environment(self._templates_dir), f"{template_folder}/email.html", context
        )
        text = render_with(
            _environment(self._templates_dir), f"{template_folder}/email.txt", context
        )
        # Attach exactly the charts the template used, whatever its level of detail.
        found = (match.group(1) for match in _CID_RE.finditer(html))
        used = [kpi_id for kpi_id in dict.fromkeys(found) if kpi_id in chart_src]
        images = [self._inline_image(figures[kpi_id], charts, run_dir) for kpi_id in used]
        return RenderedEmail(subject=view.subject, html=html, text=text, inline_images=images)

    @staticmethod
    def _inline_image(figures: KpiFigures, charts: dict[str, bytes], run_dir: Path) -> InlineImage:
        """Draw each KPI's chart once per report and keep a copy next to the archived HTML."""
        kpi_id = safe_name(figures.kpi.kpi_id, "KPI id")
        if kpi_id not in charts:
            charts[kpi_id] = trend_chart_png(figures)
            write_atomic(run_dir / chart_filename(kpi_id), charts[kpi_id])
        return InlineImage(
            content_id=chart_content_id(kpi_id),
            filename=chart_filename(kpi_id),
            content_base64=base64.b64encode(charts[kpi_id]).decode("ascii"),
        )
