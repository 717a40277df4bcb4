"""What `opsrhythm status WF` and `opsrhythm review status WF` show of a review, on the real
StrategyReviewWorkflow (fake activities, dev server): stage, who submitted with their version,
who is pending, as text and JSON; never what an owner wrote. Its owner's form works on it too."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from opsrhythm.platform import temporal_runtime
from opsrhythm.platform.approvals import client as approvals_client
from opsrhythm.rituals.strategy_review.client import submit_status
from opsrhythm.rituals.strategy_review.models import StatusSubmission
from tests.strategy_review.review_cli import review_cli
from tests.strategy_review.review_fake import start_review
from tests.strategy_review.review_site import link, post_form, review_site
from tests.strategy_review.workflow_fakes import CHLOE, ReviewFakes, running_review, stage

pytestmark = pytest.mark.dev_server
SECRET_DRAFT = "Chloé's private draft narrative"
REVIEW_KEYS = {
    "workflow_id", "ritual_id", "period", "stage", "due_at", "pre_read_at", "meeting_at",
    "submitted", "late", "pending", "undelivered", "approval",
}  # fmt: skip
"""The documented fields (README, Machine-readable output): scripts rely on them."""
SUBMITTED_KEYS = {
    "item_id", "owner", "rag", "confidence", "version", "late", "submitted_at", "channel",
    "caller",
}  # fmt: skip


def chloes(version: int) -> StatusSubmission:
    return StatusSubmission(
        item_id="grow-revenue",
        owner=CHLOE.email,
        rag="amber",
        confidence=60 + version,
        narrative=f"{SECRET_DRAFT} v{version}",
        channel="api",
    )


async def test_status_shows_stage_submitted_and_pending(
    dev_server_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    """Text: the review's stage, Chloé's latest version, the two pending owners; JSON (both
    commands): the same fields; neither shows a narrative."""
    client = dev_server_env.client
    async with running_review(client, ReviewFakes()) as handle:
        await stage(handle, "collecting")
        for version in (1, 2):
            await submit_status(client, handle.id, chloes(version))
        text = await review_cli(client, capsys, "status", handle.id)
        platform_json = await review_cli(client, capsys, "status", handle.id, "--json")
        own_json = await review_cli(client, capsys, "review", "status", handle.id, "--json")
        await handle.terminate()
    code, out, _ = text
    assert 0 == code
    assert "Review quarterly-strategy-review 2026-Q4: collecting" in out
    assert f"grow-revenue  {CHLOE.email}  amber, 62%  version 2" in out
    assert "pending: insights-everywhere (emma@acme.example), reduce-churn (grace@acme" in out
    review = json.loads(platform_json[1])["review"]
    assert (0, review) == (own_json[0], json.loads(own_json[1]))
    assert ("collecting", ["insights-everywhere", "reduce-churn"]) == (
        review["stage"],
        review["pending"],
    )
    assert [("grow-revenue", 2, False)] == [
        (s["item_id"], s["version"], s["late"]) for s in review["submitted"]
    ]
    assert SECRET_DRAFT not in out + platform_json[1] + own_json[1]
    assert REVIEW_KEYS == set(review) and SUBMITTED_KEYS == set(review["submitted"][0])


async def test_owners_form_on_the_real_review(dev_server_env: WorkflowEnvironment) -> None:
    """The signed link's form on the real workflow: the item, then the owner's update sent
    from it, recorded as version 1 from the web."""
    client = dev_server_env.client
    async with running_review(client, ReviewFakes()) as handle, review_site(client) as http:
        await stage(handle, "collecting")
        url = link(handle.id, handle.result_run_id or "", "grow-revenue", CHLOE.email)
        page = await http.get(url)
        sent = await post_form(
            http, url, rag="green", confidence="80", narrative="On track.", risks=""
        )
        after = await stage(handle, "collecting")
        await handle.terminate()
    assert (200, True) == (page.status_code, "Grow revenue" in page.text)
    assert (200, True) == (sent.status_code, "version 1" in sent.text)
    assert [("grow-revenue", "web", 1)] == [
        (s.submission.item_id, s.submission.channel, s.version) for s in after.submitted
    ]


async def test_review_status_with_no_worker_is_one_line(
    dev_server_env: WorkflowEnvironment,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`review status WF` that no worker answers: one line, exit 1, within the query timeout."""
    monkeypatch.setattr(approvals_client, "QUERY_TIMEOUT", timedelta(seconds=1))
    monkeypatch.setattr(temporal_runtime, "STATUS_QUERY_TIMEOUT", timedelta(seconds=1))
    client = dev_server_env.client
    handle = await start_review(client, str(uuid.uuid4()))
    try:
        code, out, err = await review_cli(client, capsys, "review", "status", handle.id)
    finally:
        await handle.terminate()
    assert (1, "", 1) == (code, out, len(err.splitlines()))
    assert err.startswith(f"opsrhythm: Temporal did not answer for {handle.id}: no worker")
