"""The pre-read pack and the publish summaries: every item shown (missing ones marked), the
KPI context and open actions; each audience's summary holds only the sections marked for it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.testing import ActivityEnvironment

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.approvals.links import SECRET_ENV
from opsrhythm.rituals.strategy_review.config import StrategyReviewRitual
from opsrhythm.rituals.strategy_review.models import (
    QuarterKpisInput,
    RenderedPack,
    RenderPackInput,
    SubmittedStatus,
)
from opsrhythm.rituals.strategy_review.pack import PACK_NAME
from opsrhythm.rituals.strategy_review.plan import review_plan
from tests.strategy_review.content_samples import (
    CHLOE,
    GRACE,
    WORKFLOW,
    action,
    activities,
    every_file_text,
    mrr_row,
    plan,
    read_email,
    submitted,
)

RISK = "Competitor undercuts our Team plan"
CHURN_STORY = "Churn rose after the price change"


def updates() -> list[SubmittedStatus]:
    """Chloé and Grace reported (Grace's risk is internal); Emma did not."""
    return [
        submitted(
            "grow-revenue", CHLOE, "MRR grew 3% on upsells.", risks=[RISK], asks=["Two more AEs"]
        ),
        submitted("reduce-churn", GRACE, CHURN_STORY, rag="red", confidence=40),
    ]


def render(
    config: OpsRhythmConfig,
    archive: Path,
    submissions: list[SubmittedStatus] | None = None,
    **changes: object,
) -> RenderedPack:
    input = RenderPackInput(
        workflow_id=WORKFLOW,
        plan=plan(),
        submissions=updates() if submissions is None else submissions,
        kpis=[mrr_row()],
        open_actions=[action("Reprice the Team plan", CHLOE)],
    ).model_copy(update=changes)
    return ActivityEnvironment().run(activities(config, archive).render_review_pack, input)


def test_sales_never_sees_a_leadership_only_section(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """The risks section is for leadership: its title and risks are in leadership's summary,
    in neither the HTML nor the text of sales'; the pack-only asks reach no audience."""
    pack = render(example_config, tmp_path)
    leadership = read_email(pack.publish_paths["leadership"])
    sales = read_email(pack.publish_paths["sales"])
    for body in (leadership.html, leadership.text):
        assert RISK in body
        assert "Internal risks" in body or "INTERNAL RISKS" in body
    for body in (sales.html, sales.text):
        assert RISK not in body
        assert "internal risks" not in body.lower()
        assert "Two more AEs" not in body
        assert "Reprice the Team plan" not in body
        assert "MRR grew 3% on upsells." in body
        assert "Monthly recurring revenue" in body
    archived = (Path(pack.location) / "publish-sales.html").read_text(encoding="utf-8")
    assert RISK not in archived


def test_an_item_kept_from_an_audience_stays_out_of_its_summary(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """'Cut churn' is for leadership only: sales never reads its title or narrative."""
    pack = render(example_config, tmp_path)
    sales = read_email(pack.publish_paths["sales"])
    leadership = read_email(pack.publish_paths["leadership"])
    for body in (sales.html, sales.text):
        assert "Cut churn" not in body
        assert CHURN_STORY not in body
    assert CHURN_STORY in leadership.text


def test_missing_updates_are_marked_never_hidden(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """Emma sent nothing: the pack, its text and the summary lines all say so."""
    pack = render(example_config, tmp_path)
    assert ["insights"] == pack.missing
    pre_read = read_email(pack.pre_read_path)
    html = (Path(pack.location) / PACK_NAME).read_text(encoding="utf-8")
    assert html == pre_read.html
    assert 'id="missing"' in html
    assert "Insights everywhere: no update from Emma Larsen" in html
    assert "MISSING" in html
    assert "MISSING UPDATES (1)" in pre_read.text
    assert "Insights everywhere (initiative, Emma Larsen): MISSING" in pre_read.text
    assert "Missing: Insights everywhere (Emma Larsen)" in pack.summary
    assert "Updates: 2 of 3 in" in pack.summary
    sales = read_email(pack.publish_paths["sales"])
    assert "Insights everywhere (Emma Larsen): MISSING" in sales.text
    assert "Missing:</strong> no update from Emma Larsen." in sales.html


def test_pack_holds_every_update_kpis_and_actions(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """The pre-read: each item's latest update, the KPI table and the open actions."""
    pack = render(example_config, tmp_path)
    text = read_email(pack.pre_read_path).text
    for expected in (
        "MRR grew 3% on upsells.",
        RISK,
        "Two more AEs",
        CHURN_STORY,
        "RED, confidence 40%",
        "Monthly recurring revenue: £495,000, at risk; previous quarter £480,000 (+3.1%); "
        "a year ago £450,000 (+10.0%); target £500,000",
        "Reprice the Team plan",
        "The review meets Tue 12 Jan 2027 14:00 Europe/London.",
    ):
        assert expected in text
    assert "Red: Cut churn (Grace Kim, 40%)" in pack.summary


def test_the_latest_version_wins(example_config: OpsRhythmConfig, tmp_path: Path) -> None:
    first = submitted("grow-revenue", CHLOE, "First draft of the story.", version=1)
    second = submitted("grow-revenue", CHLOE, "Final story.", version=2)
    pack = render(example_config, tmp_path, submissions=[second, first])
    html = (Path(pack.location) / PACK_NAME).read_text(encoding="utf-8")
    assert "Final story." in html
    assert "First draft of the story." not in html


def test_summary_lines_carry_no_narrative(example_config: OpsRhythmConfig, tmp_path: Path) -> None:
    pack = render(example_config, tmp_path)
    joined = "\n".join(pack.summary)
    assert CHURN_STORY not in joined
    assert RISK not in joined
    assert "Publishes to Sales: Where we stand, What happened, In numbers" in pack.summary


def test_each_round_keeps_its_own_folder(example_config: OpsRhythmConfig, tmp_path: Path) -> None:
    first = render(example_config, tmp_path)
    second = render(
        example_config,
        tmp_path,
        round=2,
        submissions=[*updates(), submitted("insights", CHLOE, "Shipped to all plans.")],
    )
    assert Path(first.location).name == "round-1"
    assert Path(second.location).name == "round-2"
    assert "MISSING UPDATES" in read_email(first.pre_read_path).text
    assert [] == second.missing
    assert read_email(second.pre_read_path).subject.startswith("Pre-read (round 2):")


def test_narratives_are_escaped_in_html(example_config: OpsRhythmConfig, tmp_path: Path) -> None:
    hostile = submitted("grow-revenue", CHLOE, "<script>alert(1)</script> & more")
    pack = render(example_config, tmp_path, submissions=[hostile])
    for path in Path(pack.location).glob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert "<script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    for stored in pack.publish_paths.values():
        assert "<script>" not in read_email(stored).html


def test_no_secret_from_the_environment_in_any_file(
    example_config: OpsRhythmConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "pack-secret-from-the-environment-42"
    monkeypatch.setenv(SECRET_ENV, secret)
    monkeypatch.setenv("SOURCE_TOKEN", "tok-hunter2")
    pack = render(example_config, tmp_path)
    files = every_file_text(Path(pack.location))
    assert len(files) == 2 + 2 * len(pack.publish_paths)
    for text in files.values():
        assert secret not in text
        assert "tok-hunter2" not in text


def test_the_example_review_renders_with_its_kpis(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """The example config's review: KPIs gathered from the example warehouse, a pack and one
    summary per audience; the leadership-only risks section reaches no one else."""
    ritual = example_config.ritual("quarterly-strategy-review")
    assert isinstance(ritual, StrategyReviewRitual)
    review = review_plan(example_config, ritual, "2026-Q4", datetime(2027, 1, 4, 9, tzinfo=UTC))
    run = activities(example_config, tmp_path)
    env = ActivityEnvironment()
    kpis = env.run(run.gather_quarter_kpis, QuarterKpisInput(plan=review))
    owner = review.items[0].owner
    risk = "A risk for leadership eyes only"
    status = submitted(review.items[0].item_id, owner, "On plan.", risks=[risk])
    pack = env.run(
        run.render_review_pack,
        RenderPackInput(workflow_id=WORKFLOW, plan=review, submissions=[status], kpis=kpis.kpis),
    )
    assert {a.audience_id for a in review.audiences} == set(pack.publish_paths)
    assert len(pack.missing) == len(review.items) - 1
    risky = {s.section_id for s in review.sections if s.content == "risks"}
    for audience in review.audiences:
        email = read_email(pack.publish_paths[audience.audience_id])
        reaches = any(
            audience.audience_id in s.audiences for s in review.sections if s.section_id in risky
        )
        assert (risk in email.text) == reaches
        assert (risk in email.html) == reaches
        assert "Acme Analytics" in email.html
    assert "Monthly recurring revenue" in read_email(pack.pre_read_path).text


def test_a_decision_in_the_pack_says_decided(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    decision = action("No price change before Q2", CHLOE, "d-1").model_copy(
        update={"kind": "decision"}
    )
    pack = render(example_config, tmp_path, open_actions=[decision])
    text = read_email(pack.pre_read_path).text
    assert "No price change before Q2 (Chloé Dubois, decided 2027-01-15)" in text
