"""Renders the pre-read pack, the attendees' pre-read email and one publish summary per
audience, and archives them in ``<archive>/<workflow id>/round-N/``.

Each round keeps its own folder, so a redraft never overwrites the pack approvers saw; a
later run of the id (``run --again``) renders under its own ``run-<run id>/`` (archive_runs). The
archive is the hand-over to the email activity: history carries only paths and summary
lines. Rendering is deterministic and every file is written atomically, so a retried
activity rewrites identical files. No PDF: nothing installed renders HTML to PDF well
without a browser process in the worker.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from opsrhythm.platform.models import RenderedEmail
from opsrhythm.platform.rendering import RenderError, render_template, safe_name, write_atomic
from opsrhythm.rituals.kpi_report.archive_runs import run_folder
from opsrhythm.rituals.strategy_review.models import PACK_PAGE, RenderedPack, RenderPackInput
from opsrhythm.rituals.strategy_review.pack_view import (
    PackView,
    audience_view,
    pack_view,
    summary_lines,
)

PACK_NAME = PACK_PAGE
PRE_READ_NAME = "pre-read.json"


def round_folder(archive_dir: Path, workflow_id: str, run_id: str, round: int) -> Path:
    return run_folder(archive_dir, workflow_id, run_id, 1) / f"round-{round}"


class PackRenderer:
    def __init__(self, templates_dir: Path, archive_dir: Path) -> None:
        self._templates_dir = templates_dir
        self._archive_dir = archive_dir

    def render_pack(
        self,
        input: RenderPackInput,
        run_id: str = "",
        progress: Callable[[str], None] | None = None,
    ) -> RenderedPack:
        """The pack and its emails, in the rendering run's folder; ``progress`` is told each
        file as it is archived."""
        folder = round_folder(self._archive_dir, input.workflow_id, run_id, input.round)
        templates = safe_name(input.plan.templates, "template folder")
        pack = pack_view(input)
        quarter = f"{input.plan.ritual_name} {pack.quarter}"
        again = f" (round {input.round})" if input.round > 1 else ""
        pre_read = self._email(
            f"Pre-read{again}: {quarter}, meeting {pack.meeting}", f"{templates}/pack", pack
        )
        write_atomic(folder / PACK_NAME, pre_read.html.encode())
        write_atomic(folder / PRE_READ_NAME, pre_read.model_dump_json(indent=2).encode())
        _tell(progress, PACK_NAME)
        publish_paths: dict[str, str] = {}
        for audience in input.plan.audiences:
            audience_id = safe_name(audience.audience_id, "audience id")
            if audience_id in publish_paths:
                raise RenderError(f"audience {audience_id!r} is listed twice in the plan")
            view = audience_view(pack, audience)
            email = self._email(f"{quarter}: {audience.name}", f"{templates}/publish", view)
            path = folder / f"publish-{audience_id}.json"
            write_atomic(path, email.model_dump_json(indent=2).encode())
            write_atomic(folder / f"publish-{audience_id}.html", email.html.encode())
            publish_paths[audience_id] = str(path)
            _tell(progress, audience_id)
        return RenderedPack(
            location=str(folder),
            pre_read_path=str(folder / PRE_READ_NAME),
            publish_paths=publish_paths,
            summary=summary_lines(pack),
            missing=[view.item.item_id for view in pack.missing],
        )

    def _email(self, subject: str, template: str, view: PackView) -> RenderedEmail:
        context = {
            "view": view,
            "plan": view.plan,
            "organization": view.plan.organization,
            "ritual_name": view.plan.ritual_name,
        }
        return RenderedEmail(
            subject=subject,
            html=render_template(self._templates_dir, f"{template}.html", context),
            text=render_template(self._templates_dir, f"{template}.txt", context),
        )


def _tell(progress: Callable[[str], None] | None, step: str) -> None:
    if progress is not None:
        progress(step)
