"""The example review's emails through the real SendGrid transport against the strict fake
SendGrid (real activities, time-skipping server): a 429 is retried and each owner asked once;
a 401 (a revoked key) leaves nobody asked, and the ritual's owner is told (through the outbox,
as email itself fails), the status says who was not emailed, and the run fails at sign-off
rather than end as a silent success."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.models import RitualRunInput
from opsrhythm.rituals.strategy_review.models import CloseCollection
from tests.fake_sendgrid import FakeSendGrid
from tests.reliability.test_needs_attention import body_text, read_outbox
from tests.sendgrid_runs import run_through_sendgrid
from tests.strategy_review.test_review_workflow_e2e import OWNERS
from tests.strategy_review.workflow_fakes import Handle, stage
from workflows.strategy_review import StrategyReviewWorkflow

OWNER = "ana.silva@acme.example"
REVOKED = "The provided authorization grant is invalid, expired, or revoked"


@asynccontextmanager
async def review(
    env: WorkflowEnvironment,
    config: OpsRhythmConfig,
    sendgrid: FakeSendGrid,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Handle]:
    run = RitualRunInput(ritual_id="quarterly-strategy-review", period="2026-Q4")
    async with run_through_sendgrid(
        env, config, sendgrid, tmp_path, monkeypatch, StrategyReviewWorkflow.run, run
    ) as handle:
        yield handle


async def test_a_rate_limited_kick_off_is_retried_and_sent_once(
    time_skipping_env: WorkflowEnvironment,
    example_config: OpsRhythmConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SendGrid answers the first request 429: it is tried again after the reset, every owner
    gets exactly one kick-off, and nothing is reported undelivered."""
    with FakeSendGrid() as sendgrid:
        sendgrid.fail_next(429, reset_in=0.5)
        async with review(time_skipping_env, example_config, sendgrid, tmp_path, monkeypatch) as h:
            collecting = await stage(h, "collecting")
            await h.terminate()
        recipients = sorted(email for email, _ in sendgrid.deliveries())
        received = sendgrid.received
    assert sorted(OWNERS.values()) == recipients
    assert (len(OWNERS) + 1, []) == (received, collecting.undelivered)


async def test_a_revoked_key_tells_the_owner_and_fails_the_run(
    time_skipping_env: WorkflowEnvironment,
    example_config: OpsRhythmConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every request is refused 401: no owner gets a kick-off; Ana's notice, which cannot be
    emailed either, is in the outbox naming each owner and the reason; the status lists them;
    once she closes, the pre-read is reported undelivered too, the approvers cannot be asked
    and the run fails (and says so) instead of ending as a silent success."""
    with FakeSendGrid(api_key="SG.the-key-now-in-use") as sendgrid:
        async with review(time_skipping_env, example_config, sendgrid, tmp_path, monkeypatch) as h:
            collecting = await stage(h, "collecting")
            await h.execute_update(
                StrategyReviewWorkflow.close_collection,
                CloseCollection(requested_by=OWNER, send_now=True),
            )
            with pytest.raises(WorkflowFailureError):
                await h.result()
        delivered = sendgrid.deliveries()
    assert [] == delivered
    assert sorted(OWNERS.values()) == sorted(
        f.email for d in collecting.undelivered for f in d.failed
    )
    notices = {str(m["Subject"]): m for m in read_outbox(tmp_path / "outbox")}
    kick_off = notices["Not delivered: Quarterly strategy review for Q4 2026 (kick-off)"]
    text = body_text(kick_off)
    assert OWNER == kick_off["To"].addresses[0].addr_spec
    assert all(owner in text for owner in OWNERS.values()) and REVOKED in text
    assert "Not delivered: Quarterly strategy review for Q4 2026 (pre-read-r1)" in notices
    assert any(subject.startswith("Failed: Quarterly strategy review") for subject in notices)
