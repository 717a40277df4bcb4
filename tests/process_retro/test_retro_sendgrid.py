"""The example retro's emails through the real SendGrid transport against the strict fake
SendGrid (real activities, time-skipping server, an empty retro run to its end): a 429 is
retried and each participant gets each email once; a 401 (a revoked key) leaves nobody
emailed, the facilitator is told through the outbox, and the result fails ``run --wait``
instead of ending as a silent success."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.models import RitualRunInput
from opsrhythm.rituals.process_retro.commands import print_result
from tests.fake_sendgrid import FakeSendGrid
from tests.process_retro.retro_fakes import Handle
from tests.process_retro.test_retro_workflow_e2e import ANA, PARTICIPANTS, SECRET
from tests.reliability.test_needs_attention import body_text, read_outbox
from tests.sendgrid_runs import run_through_sendgrid
from workflows.process_retro import ProcessRetroWorkflow

REVOKED = "The provided authorization grant is invalid, expired, or revoked"


@asynccontextmanager
async def empty_retro(
    env: WorkflowEnvironment,
    config: OpsRhythmConfig,
    sendgrid: FakeSendGrid,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Handle]:
    monkeypatch.setenv("OPSRHYTHM_SECRET", SECRET)
    run = RitualRunInput(ritual_id="process-retro", period="2026-W49")
    async with run_through_sendgrid(
        env, config, sendgrid, tmp_path, monkeypatch, ProcessRetroWorkflow.run, run
    ) as handle:
        yield handle


async def test_a_rate_limited_retro_is_retried_and_each_email_sent_once(
    time_skipping_env: WorkflowEnvironment,
    example_config: OpsRhythmConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SendGrid answers the first request 429: it is tried again, every participant gets the
    invite, the reminder and the summary exactly once, and nothing failed."""
    with FakeSendGrid() as sendgrid:
        sendgrid.fail_next(429, reset_in=0.5)
        async with empty_retro(
            time_skipping_env, example_config, sendgrid, tmp_path, monkeypatch
        ) as handle:
            result = await handle.result()
        delivered = Counter(sendgrid.deliveries())
        received = sendgrid.received
    per_person = Counter(email for email, _ in delivered)
    assert {1} == set(delivered.values())
    assert {email: 3 for email in PARTICIPANTS} == dict(per_person)
    assert len(delivered) + 1 == received
    assert [] == [f for d in result.deliveries for f in d.failed]


async def test_a_revoked_key_tells_the_facilitator_and_is_no_silent_success(
    time_skipping_env: WorkflowEnvironment,
    example_config: OpsRhythmConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every request is refused 401: nobody gets anything; Ana's notices, which cannot be
    emailed either, are in the outbox naming each participant and the reason, for the
    invite and the summary; the result lists every failure and ``run --wait`` exits 1."""
    with FakeSendGrid(api_key="SG.the-key-now-in-use") as sendgrid:
        async with empty_retro(
            time_skipping_env, example_config, sendgrid, tmp_path, monkeypatch
        ) as handle:
            result = await handle.result()
        delivered = sendgrid.deliveries()
    assert [] == delivered
    summary_failed = [
        f.email for d in result.deliveries if d.audience_id == "summary" for f in d.failed
    ]
    assert sorted(PARTICIPANTS) == sorted(summary_failed)
    notices = {str(m["Subject"]): m for m in read_outbox(tmp_path / "outbox")}
    for label in ("invite", "summary"):
        [subject] = [
            s for s in notices if s.startswith("Not delivered:") and s.endswith(f"({label})")
        ]
        text = body_text(notices[subject])
        assert ANA == notices[subject]["To"].addresses[0].addr_spec
        assert all(person in text for person in PARTICIPANTS) and REVOKED in text
    assert 1 == print_result(result)
    assert "not sent to" in capsys.readouterr().out
