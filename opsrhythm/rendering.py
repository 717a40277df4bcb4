"""Renders KPI report emails per audience with Jinja2 and archives them on disk.

The archive is the hand-over to the email activity: Temporal history carries only the
paths. Every file is written atomically and rendering is deterministic, so a retried
activity rewrites identical files.
"""

from __future__ import annotations

import base64
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsrhythm import formatting
from opsrhythm.charts import trend_chart_png
from opsrhythm.models import (
    FailureNoticeInput,
    InlineImage,
    KpiFigures,
    RenderedEmail,
    RenderedMessage,
    RenderedReport,
    RenderReportInput,
)
from opsrhythm.periods import Month
from opsrhythm.report_view import AudienceView, audience_view

if TYPE_CHECKING:
    from jinja2 import Environment

INDEX_NAME = "report.html"
_CID_RE = re.compile(r"cid:chart-([^\s\"'@]+)@opsrhythm")


class RenderError(ValueError):
    """A permanent rendering problem (bad template, inconsistent input): retrying cannot help."""


def default_templates_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "templates"


def default_archive_dir() -> Path:
    return Path(os.environ.get("OPSRHYTHM_ARCHIVE") or "archive")


def chart_content_id(kpi_id: str) -> str:
    return f"chart-{kpi_id}@opsrhythm"


def chart_filename(kpi_id: str) -> str:
    return f"chart-{kpi_id}.png"


@lru_cache(maxsize=8)
def _environment(templates_dir: Path) -> Environment:
    # Imported here, on first render, to keep the worker's start-up import light.
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(formatting.FILTERS)
    environment.globals.update(formatting.GLOBALS)
    return environment


def render_template(templates_dir: Path, name: str, context: dict[str, Any]) -> str:
    """Render one template; a broken template is a RenderError naming it."""
    from jinja2 import TemplateError, TemplateSyntaxError

    try:
        return _environment(templates_dir).get_template(name).render(context)
    except TemplateSyntaxError as error:
        raise RenderError(f"template {error.name or name} line {error.lineno}: {error}") from None
    except TemplateError as error:
        raise RenderError(f"template {name}: {error}") from None


def _safe_name(name: str, what: str) -> str:
    """Ids become file and folder names, so they must not climb out of the archive."""
    if name in {"", ".", ".."} or Path(name).name != name or "\\" in name:
        raise RenderError(f"{what} {name!r} cannot be used as a file name in the archive")
    return name


def write_atomic(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class ReportRenderer:
    def __init__(self, templates_dir: Path, archive_dir: Path) -> None:
        self._templates_dir = templates_dir
        self._archive_dir = archive_dir

    def render_report(
        self, input: RenderReportInput, template_folder: str = "kpi_report"
    ) -> RenderedReport:
        """Render and archive one email per audience; ``template_folder`` is under templates/."""
        _safe_name(template_folder, "template folder")
        run_dir = (self._archive_dir / _safe_name(input.workflow_id, "workflow id")).resolve()
        figures = {f.kpi.kpi_id: f for f in input.figures}
        charts: dict[str, bytes] = {}
        messages: list[RenderedMessage] = []
        views: list[AudienceView] = []
        for audience in input.plan.audiences:
            audience_id = _safe_name(audience.audience_id, "audience id")
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
        html = render_template(self._templates_dir, f"{template_folder}/email.html", context)
        text = render_template(self._templates_dir, f"{template_folder}/email.txt", context)
        # Attach exactly the charts the template used, whatever its level of detail.
        found = (match.group(1) for match in _CID_RE.finditer(html))
        used = [kpi_id for kpi_id in dict.fromkeys(found) if kpi_id in chart_src]
        images = [self._inline_image(figures[kpi_id], charts, run_dir) for kpi_id in used]
        return RenderedEmail(subject=view.subject, html=html, text=text, inline_images=images)

    @staticmethod
    def _inline_image(figures: KpiFigures, charts: dict[str, bytes], run_dir: Path) -> InlineImage:
        """Draw each KPI's chart once per report and keep a copy next to the archived HTML."""
        kpi_id = _safe_name(figures.kpi.kpi_id, "KPI id")
        if kpi_id not in charts:
            charts[kpi_id] = trend_chart_png(figures)
            write_atomic(run_dir / chart_filename(kpi_id), charts[kpi_id])
        return InlineImage(
            content_id=chart_content_id(kpi_id),
            filename=chart_filename(kpi_id),
            content_base64=base64.b64encode(charts[kpi_id]).decode("ascii"),
        )


def render_failure_notice(input: FailureNoticeInput, templates_dir: Path) -> RenderedEmail:
    """The email telling a ritual's owner that a run failed and how to run it again."""
    period_label = Month.parse(input.period).label
    context = {
        "notice": input,
        "period_label": period_label,
        "organization": "OpsRhythm",
        "ritual_name": input.ritual_name,
    }
    return RenderedEmail(
        subject=f"Failed: {input.ritual_name} for {period_label}",
        html=render_template(templates_dir, "failure_notice/email.html", context),
        text=render_template(templates_dir, "failure_notice/email.txt", context),
    )
