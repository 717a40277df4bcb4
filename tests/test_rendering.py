"""Tests for rendering the KPI report emails per audience and archiving them."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from opsrhythm.platform import resources
from opsrhythm.platform.models import FailureNoticeInput, RenderedEmail
from opsrhythm.platform.rendering import RenderError, render_failure_notice
from opsrhythm.rituals.kpi_report.formatting import GREEN, RED
from opsrhythm.rituals.kpi_report.models import AudiencePlan, RenderedReport
from opsrhythm.rituals.kpi_report.rendering import ReportRenderer
from opsrhythm.rituals.kpi_report.report_view import audience_view
from tests.kpi_report_samples import ALL, ANA, GROWTH, LEADERSHIP, REVENUE, SUPPORT, report_input

CID_RE = re.compile(r'src="cid:([^"]+)"')


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("archive")


@pytest.fixture(scope="module")
def report(archive: Path) -> RenderedReport:
    return ReportRenderer(resources.templates_dir(), archive).render_report(report_input())


@pytest.fixture(scope="module")
def emails(report: RenderedReport) -> dict[str, RenderedEmail]:
    return {
        m.audience_id: RenderedEmail.model_validate_json(Path(m.path).read_text())
        for m in report.messages
    }


def chart_ids(email: RenderedEmail) -> list[str]:
    return sorted(
        cid.removeprefix("chart-").removesuffix("@opsrhythm") for cid in CID_RE.findall(email.html)
    )


def test_subject_starts_with_the_period(emails: dict[str, RenderedEmail]) -> None:
    """The subject names the month, then the audience."""
    expected = "KPI report: October 2026 — Leadership"
    assert expected == emails["leadership"].subject


def test_one_message_per_audience(report: RenderedReport) -> None:
    """Every audience in the plan gets its own message, in plan order."""
    expected = ["leadership", "growth", "support"]
    assert expected == [m.audience_id for m in report.messages]


def test_summary_lists_every_kpi_in_the_headlines(emails: dict[str, RenderedEmail]) -> None:
    """Leadership's headline table names all its KPIs."""
    html = emails["leadership"].html
    expected: list[str] = []
    assert expected == [f.kpi.name for f in ALL if f.kpi.name not in html]


def test_summary_charts_only_the_exceptions(emails: dict[str, RenderedEmail]) -> None:
    """Only off-track, at-risk, no-data and notable KPIs get an exception block with a chart."""
    expected = ["active_users", "churn", "nps", "ttr"]
    assert expected == chart_ids(emails["leadership"])


def test_summary_has_no_detail_blocks(emails: dict[str, RenderedEmail]) -> None:
    """A quiet KPI shows no previous value, target or owner in the summary."""
    html = emails["leadership"].html
    detail_only = ["£1,180,000", "£1,200,000", "Owner"]
    assert detail_only == [t for t in detail_only if t not in html]


def test_detail_charts_every_kpi_of_the_audience(emails: dict[str, RenderedEmail]) -> None:
    """A squad sees each of its KPIs in detail with its chart."""
    expected = sorted(GROWTH.kpi_ids)
    assert expected == chart_ids(emails["growth"])


def test_detail_shows_only_the_audience_kpis(emails: dict[str, RenderedEmail]) -> None:
    """KPIs of other audiences stay out of both parts."""
    email = emails["growth"]
    others = ("Monthly churn", "Time to resolve")
    expected: list[str] = []
    assert expected == [n for n in others if n in email.html + email.text]


def test_detail_shows_previous_year_ago_target_and_owner(
    emails: dict[str, RenderedEmail],
) -> None:
    """Each detail block carries the comparison values, target and owner."""
    html = emails["growth"].html
    wanted = ["£1,180,000", "£1,050,000", "£1,200,000", "Ben Okafor", "ben@acme.example"]
    expected: list[str] = []
    assert expected == [t for t in wanted if t not in html]


def test_lower_is_better_fall_is_green(emails: dict[str, RenderedEmail]) -> None:
    """Churn's fall is coloured as an improvement."""
    colour = re.search(r"color:(#\w+);[^>]*><strong>-0\.5 pp</strong>", emails["support"].html)
    expected = GREEN
    assert expected == (colour.group(1) if colour else None)


def test_lower_is_better_rise_is_red(emails: dict[str, RenderedEmail]) -> None:
    """Time to resolve's rise is coloured as a worsening."""
    colour = re.search(r"color:(#\w+);[^>]*><strong>\+16\.7%</strong>", emails["support"].html)
    expected = RED
    assert expected == (colour.group(1) if colour else None)


def test_no_data_names_the_owner_in_both_parts(emails: dict[str, RenderedEmail]) -> None:
    """A KPI without data says why and names its owner, in HTML and text."""
    notice = "No data — source unavailable; owner: Ana Silva (ana@acme.example)"
    email = emails["growth"]
    expected = (True, True)
    assert expected == (notice in email.html, notice in email.text)


@pytest.mark.parametrize("audience", [LEADERSHIP, GROWTH, SUPPORT], ids=lambda a: a.audience_id)
def test_text_part_carries_the_html_numbers(
    emails: dict[str, RenderedEmail], audience: AudiencePlan
) -> None:
    """Every figure shown in the HTML part appears in the plain-text part too."""
    view = audience_view(report_input().plan, audience, {f.kpi.kpi_id: f for f in ALL})
    email = emails[audience.audience_id]
    numbers = [n for k in view.kpis for n in (k.value, k.vs_previous, k.vs_year_ago)]
    if audience.detail == "detail":
        numbers += [n for k in view.kpis for n in (k.previous, k.year_ago, k.target)]
    # Detail blocks of a KPI without data leave out the changes, so 'n/a' is not a figure.
    shown = [n for n in numbers if n != "n/a"]
    expected: list[str] = []
    assert expected == [n for n in shown if n not in email.html or n not in email.text]


def test_inline_images_match_the_html_cids(emails: dict[str, RenderedEmail]) -> None:
    """Every cid the HTML uses has an attached image, and nothing else is attached."""
    email = emails["support"]
    expected = sorted(CID_RE.findall(email.html))
    assert expected == sorted(i.content_id for i in email.inline_images)


def test_inline_images_are_pngs(emails: dict[str, RenderedEmail]) -> None:
    """Attached charts decode to PNG files."""
    heads = {base64.b64decode(i.content_base64)[:4] for i in emails["growth"].inline_images}
    expected = {b"\x89PNG"}
    assert expected == heads


def test_untrusted_names_are_escaped(tmp_path: Path) -> None:
    """Markup in KPI and audience names is shown as text, never run."""
    hostile = "<img src=x onerror=alert(1)>"
    revenue = REVENUE.model_copy(update={"kpi": REVENUE.kpi.model_copy(update={"name": hostile})})
    audience = GROWTH.model_copy(update={"name": hostile, "kpi_ids": ["revenue"]})
    renderer = ReportRenderer(resources.templates_dir(), tmp_path)
    message = renderer.render_report(report_input([audience], [revenue])).messages[0]
    html = RenderedEmail.model_validate_json(Path(message.path).read_text()).html
    expected = (False, True)
    assert expected == (hostile in html, "&lt;img src=x onerror=alert(1)&gt;" in html)


def test_archive_holds_json_html_charts_and_index(report: RenderedReport) -> None:
    """The run folder has each audience's JSON and HTML, the charts and report.html."""
    names = {p.name for p in Path(report.archive_location).iterdir()}
    expected = {
        f"{a}.{ext}" for a in ("leadership", "growth", "support") for ext in ("json", "html")
    }
    expected |= {f"chart-{f.kpi.kpi_id}.png" for f in ALL} | {"report.html"}
    assert expected == names


def test_archive_location_is_the_absolute_run_folder(report: RenderedReport, archive: Path) -> None:
    """The archive location is <archive>/<workflow id>, absolute."""
    expected = str((archive / "monthly-kpi-report-2026-10").resolve())
    assert expected == report.archive_location


def test_archived_html_uses_chart_files(report: RenderedReport) -> None:
    """The browser copy points at the PNG files next to it instead of cid: parts."""
    html = (Path(report.archive_location) / "growth.html").read_text()
    expected = (False, True)
    assert expected == ("cid:" in html, 'src="chart-revenue.png"' in html)


def test_index_links_every_audience(report: RenderedReport) -> None:
    """report.html links each audience's page."""
    index = (Path(report.archive_location) / "report.html").read_text()
    links = re.findall(r'href="([^"]+)"', index)
    expected = ["leadership.html", "growth.html", "support.html"]
    assert expected == links


def test_rendering_twice_writes_identical_files(tmp_path: Path) -> None:
    """A retried activity rewrites the same bytes."""
    renderer = ReportRenderer(resources.templates_dir(), tmp_path)
    run = Path(renderer.render_report(report_input()).archive_location)
    first = {p.name: p.read_bytes() for p in run.iterdir()}
    renderer.render_report(report_input())
    expected = first
    assert expected == {p.name: p.read_bytes() for p in run.iterdir()}


def test_audience_kpi_without_figures_is_refused(tmp_path: Path) -> None:
    """An audience naming a KPI the analysis did not produce fails with a clear message."""
    renderer = ReportRenderer(resources.templates_dir(), tmp_path)
    with pytest.raises(RenderError, match="no figures: churn"):
        renderer.render_report(report_input([SUPPORT], [REVENUE]))


@pytest.mark.parametrize("workflow_id", ["../escape", "a/b", ".."])
def test_workflow_id_cannot_leave_the_archive(tmp_path: Path, workflow_id: str) -> None:
    """A workflow id is a folder name, never a path."""
    renderer = ReportRenderer(resources.templates_dir(), tmp_path)
    with pytest.raises(RenderError, match="workflow id"):
        renderer.render_report(report_input(workflow_id=workflow_id))


def test_audience_named_like_the_index_is_refused(tmp_path: Path) -> None:
    """An audience id 'report' would overwrite report.html, so it is refused."""
    renderer = ReportRenderer(resources.templates_dir(), tmp_path)
    audience = GROWTH.model_copy(update={"audience_id": "report"})
    with pytest.raises(RenderError, match="clashes with the archive index"):
        renderer.render_report(report_input([audience]))


def test_missing_template_folder_is_a_render_error(tmp_path: Path) -> None:
    """An unknown template folder fails with the template's name."""
    renderer = ReportRenderer(resources.templates_dir(), tmp_path)
    input = report_input()
    input.plan.templates = "nope"
    with pytest.raises(RenderError, match=r"nope/email\.html"):
        renderer.render_report(input)


NOTICE = FailureNoticeInput(
    workflow_id="monthly-kpi-report-2026-10",
    ritual_id="monthly-kpi-report",
    ritual_name="Monthly KPI report",
    period="2026-10",
    owner=ANA,
    error="source 'warehouse' failed: <connection refused>",
    rerun_command="opsrhythm run monthly-kpi-report --period 2026-10",
)


def test_failure_notice_subject_names_ritual_and_period() -> None:
    """The failure subject says what failed and for which month."""
    email = render_failure_notice(NOTICE, resources.templates_dir())
    expected = "Failed: Monthly KPI report for October 2026"
    assert expected == email.subject


def test_failure_notice_text_has_error_and_rerun_command() -> None:
    """The owner reads the error and the exact command to run it again."""
    text = render_failure_notice(NOTICE, resources.templates_dir()).text
    expected = (True, True)
    assert expected == (NOTICE.error in text, NOTICE.rerun_command in text)


def test_failure_notice_html_escapes_the_error() -> None:
    """Error text is shown literally in the HTML part."""
    html = render_failure_notice(NOTICE, resources.templates_dir()).html
    expected = (False, True)
    assert expected == ("<connection refused>" in html, "&lt;connection refused&gt;" in html)
