"""Jinja2 rendering every ritual shares: the environment, the archive and atomic writes.

Rendering is deterministic and every file is written atomically, so a retried activity
rewrites identical files.
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsrhythm.platform.models import FailureNoticeInput, RenderedEmail
from opsrhythm.platform.periods import parse_period

if TYPE_CHECKING:
    from jinja2 import Environment


class RenderError(ValueError):
    """A permanent rendering problem (bad template, inconsistent input): retrying cannot help."""


def default_archive_dir() -> Path:
    return Path(os.environ.get("OPSRHYTHM_ARCHIVE") or "archive")


@lru_cache(maxsize=8)
def environment(templates_dir: Path) -> Environment:
    # Imported here, on first render, to keep the worker's start-up import light.
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_template(templates_dir: Path, name: str, context: dict[str, Any]) -> str:
    """Render one template; a broken template is a RenderError naming it."""
    return render_with(environment(templates_dir), name, context)


def render_with(jinja: Environment, name: str, context: dict[str, Any]) -> str:
    """Render with a ritual's own environment (one with its filters, say)."""
    from jinja2 import TemplateError, TemplateSyntaxError

    try:
        return jinja.get_template(name).render(context)
    except TemplateSyntaxError as error:
        raise RenderError(f"template {error.name or name} line {error.lineno}: {error}") from None
    except TemplateError as error:
        raise RenderError(f"template {name}: {error}") from None


def safe_name(name: str, what: str) -> str:
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


def render_failure_notice(input: FailureNoticeInput, templates_dir: Path) -> RenderedEmail:
    """The email telling a ritual's owner that a run failed and how to run it again."""
    period_label = parse_period(input.period).label
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
