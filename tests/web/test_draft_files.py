"""Which archived files an approval link may read: the draft's own, in the archive, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsrhythm.platform.approvals.draft_files import draft_file
from opsrhythm.platform.web_pages import Refusal


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """<archive>/wf-1/ with the draft's index, a page, a chart, a JSON and approval emails."""
    run = tmp_path / "archive" / "wf-1"
    (run / "approval").mkdir(parents=True)
    for name in ("report.html", "board.html", "chart-mrr.png", "board.json"):
        (run / name).write_text(name)
    (run / "approval" / "request-r1-dev.json").write_text("live links")
    (tmp_path / "secret.html").write_text("not the draft")
    return tmp_path / "archive"


def test_index_and_its_siblings_are_served(archive: Path) -> None:
    """'' is the draft's index; a page and a chart beside it are served too."""
    location = str(archive / "wf-1" / "report.html")
    names = [draft_file(archive, location, n).name for n in ("", "board.html", "chart-mrr.png")]
    assert ["report.html", "board.html", "chart-mrr.png"] == names


@pytest.mark.parametrize(
    "name",
    [
        "../secret.html",
        "../../secret.html",
        "approval/request-r1-dev.json",
        "board.json",
        ".hidden.html",
        "missing.html",
        "approval",
    ],
)
def test_anything_else_is_not_found(archive: Path, name: str) -> None:
    """Climbing out, subfolders (the approval emails), other kinds and missing files: 404."""
    with pytest.raises(Refusal) as refused:
        draft_file(archive, str(archive / "wf-1" / "report.html"), name)
    assert 404 == refused.value.status


def test_a_symlink_out_of_the_archive_is_not_followed(archive: Path) -> None:
    """A link in the draft's folder that points outside the archive is refused."""
    (archive / "wf-1" / "escape.html").symlink_to(archive.parent / "secret.html")
    with pytest.raises(Refusal):
        draft_file(archive, str(archive / "wf-1" / "report.html"), "escape.html")


def test_a_draft_located_outside_the_archive_is_refused(archive: Path) -> None:
    """A status whose location is not under the configured archive is never read."""
    with pytest.raises(Refusal) as refused:
        draft_file(archive, str(archive.parent / "secret.html"), "")
    assert "not in this server's archive" in refused.value.title
