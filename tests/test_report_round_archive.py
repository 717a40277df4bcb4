"""Every approval round's draft stays archived: round 1 where links already point, each later
round in its own ``round-N`` folder beside it."""

from __future__ import annotations

from pathlib import Path

from opsrhythm.platform import resources
from opsrhythm.rituals.kpi_report.rendering import ReportRenderer
from tests.kpi_report_samples import report_input


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_a_second_round_is_archived_apart_and_leaves_the_first_as_it_was(tmp_path: Path) -> None:
    renderer = ReportRenderer(resources.templates_dir(), tmp_path)
    first = renderer.render_report(report_input())
    kept = files(Path(first.archive_location))

    second = renderer.render_report(report_input().model_copy(update={"round": 2}))

    run = tmp_path / "monthly-kpi-report-2026-10"
    assert (str(run), str(run / "round-2")) == (first.archive_location, second.archive_location)
    assert kept == files(run)
    assert {p.name for p in run.iterdir() if p.is_file()} == set(files(run / "round-2"))
    assert all(Path(m.path).parent == run / "round-2" for m in second.messages)
