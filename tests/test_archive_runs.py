"""``run --again`` renders under the same workflow id: each run archives in its own folder, so
the drafts an earlier run archived (a rejected one's, say) are never overwritten."""

from __future__ import annotations

from pathlib import Path

from opsrhythm.platform import resources
from opsrhythm.rituals.kpi_report.rendering import ReportRenderer
from tests.kpi_report_samples import report_input

FIRST_RUN = "11111111-1111-4111-8111-111111111111"
AGAIN_RUN = "22222222-2222-4222-8222-222222222222"


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Each file's bytes and inode: an atomic rewrite, even of the same bytes, changes the inode."""
    return {p.name: (p.read_bytes(), p.stat().st_ino) for p in folder.iterdir() if p.is_file()}


def test_a_run_again_keeps_the_earlier_runs_rounds(tmp_path: Path) -> None:
    """The first run keeps <archive>/<id>/ and its round 2; the run after it archives in
    <archive>/<id>/run-<run id>/ and leaves every earlier file as it was."""
    renderer = ReportRenderer(resources.templates_dir(), tmp_path)
    first = Path(renderer.render_report(report_input(), run_id=FIRST_RUN).archive_location)
    second_round = renderer.render_report(
        report_input().model_copy(update={"round": 2}), run_id=FIRST_RUN
    )
    before = snapshot(first), snapshot(Path(second_round.archive_location))

    again = renderer.render_report(report_input(), run_id=AGAIN_RUN)

    assert tmp_path / "monthly-kpi-report-2026-10" == first
    assert first / "round-2" == Path(second_round.archive_location)
    assert first / f"run-{AGAIN_RUN}" == Path(again.archive_location)
    assert before == (snapshot(first), snapshot(Path(second_round.archive_location)))
    assert {"report.html", "leadership.html"} <= {p.name for p in first.iterdir()}


def test_a_retried_rendering_finds_its_own_folder(tmp_path: Path) -> None:
    """The same run rendering again (a retried activity) writes where it wrote before; its
    round 2 goes below its own folder."""
    renderer = ReportRenderer(resources.templates_dir(), tmp_path)
    renderer.render_report(report_input(), run_id=FIRST_RUN)
    locations = [
        renderer.render_report(report_input(), run_id=AGAIN_RUN).archive_location,
        renderer.render_report(report_input(), run_id=AGAIN_RUN).archive_location,
        renderer.render_report(
            report_input().model_copy(update={"round": 2}), run_id=AGAIN_RUN
        ).archive_location,
    ]
    run_folder = tmp_path / "monthly-kpi-report-2026-10" / f"run-{AGAIN_RUN}"
    assert [str(run_folder), str(run_folder), str(run_folder / "round-2")] == locations


def test_an_unclaimed_earlier_archive_is_kept(tmp_path: Path) -> None:
    """A folder archived before runs claimed theirs belongs to an earlier run: a new run of
    the id archives beside it instead."""
    renderer = ReportRenderer(resources.templates_dir(), tmp_path)
    earlier = Path(renderer.render_report(report_input()).archive_location)
    before = snapshot(earlier)
    again = renderer.render_report(report_input(), run_id=AGAIN_RUN)
    assert (earlier / f"run-{AGAIN_RUN}", before) == (
        Path(again.archive_location),
        snapshot(earlier),
    )
