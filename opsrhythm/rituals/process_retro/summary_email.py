"""Renders the retro's summary email and archives it in ``<archive>/<workflow id>/summary/``.

One email for every audience: it carries no link and no address, only the themes (with a
name beside an item only when its author signed it), the actions and the figures. A retro
with no items still sends a summary that says so, with the earlier actions' outcome.
Rendering is deterministic for a given store and day, and files are written atomically, so a
retried activity rewrites the same files.
"""

from __future__ import annotations

from pathlib import Path

from opsrhythm.platform.models import RenderedEmail
from opsrhythm.platform.rendering import render_template, safe_name, write_atomic
from opsrhythm.rituals.kpi_report.archive_runs import run_folder
from opsrhythm.rituals.process_retro.models import RenderedSummary
from opsrhythm.rituals.process_retro.rendering import cycle_label
from opsrhythm.rituals.process_retro.summary import SummaryView, percent

SUMMARY_NAME = "summary.json"
SUMMARY_PAGE = "summary.html"
SUBJECT = "{ritual} {cycle}: {process} retro summary"
EMPTY_SUBJECT = "{ritual} {cycle}: {process} retro summary (no items this time)"


def summary_folder(archive_dir: Path, workflow_id: str, run_id: str) -> Path:
    return run_folder(archive_dir, workflow_id, run_id, 1) / "summary"


class SummaryRenderer:
    def __init__(self, templates_dir: Path, archive_dir: Path) -> None:
        self._templates_dir = templates_dir
        self._archive_dir = archive_dir

    def render(self, view: SummaryView, workflow_id: str, run_id: str) -> RenderedSummary:
        folder = summary_folder(self._archive_dir, workflow_id, run_id)
        plan = view.plan
        counts = view.counts
        context = {
            "view": view,
            "plan": plan,
            "cycle": cycle_label(plan.period),
            "participation": percent(counts.participants, view.invited),
            "voting": percent(counts.voters, view.invited),
            "workflow_id": workflow_id,
            "organization": plan.organization,
            "ritual_name": plan.ritual_name,
        }
        templates = safe_name(plan.templates, "template folder")
        subject = (EMPTY_SUBJECT if view.empty else SUBJECT).format(
            ritual=plan.ritual_name, cycle=plan.period, process=plan.process
        )
        email = RenderedEmail(
            subject=subject,
            html=render_template(self._templates_dir, f"{templates}/summary.html", context),
            text=render_template(self._templates_dir, f"{templates}/summary.txt", context),
        )
        write_atomic(folder / SUMMARY_NAME, email.model_dump_json(indent=2).encode())
        write_atomic(folder / SUMMARY_PAGE, email.html.encode())
        return RenderedSummary(
            path=str(folder / SUMMARY_NAME),
            location=str(folder),
            themes=len(view.themes),
            actions=len(view.actions),
            empty=view.empty,
        )
