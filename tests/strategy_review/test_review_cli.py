"""`opsrhythm review submit|close`: bad input is one line and exit 2 before anything connects;
the workflow's refusals and a missing worker are one line and exit 1."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from opsrhythm.config_loader import load_config
from opsrhythm.platform.approvals import client as approvals_client
from opsrhythm.platform.ledger import SendLedger
from opsrhythm.platform.mail.outbox import OutboxTransport
from opsrhythm.platform.models import RitualRunInput
from opsrhythm.rituals.strategy_review.client import review_status
from tests.conftest import EXAMPLE_CONFIG
from tests.databases import sqlite_url
from tests.strategy_review.review_cli import (
    ANA_OWNER,
    CHLOE,
    GRACE,
    ITEMS,
    review_cli,
    review_config,
)
from tests.strategy_review.review_fake import FakeReviewWorkflow, running_review, start_review
from tests.strategy_review.workflow_fakes import stage
from worker import build_worker
from workflows.strategy_review import StrategyReviewWorkflow


@pytest.fixture
def config(tmp_path: Path) -> tuple[Path, str]:
    return review_config(tmp_path)


@pytest.fixture
def narrative(tmp_path: Path) -> Path:
    path = tmp_path / "narrative.md"
    path.write_text("MRR grew 4%; two enterprise deals slipped to January.\n")
    return path


def submit_args(config: Path, narrative: Path, *extra: str) -> list[str]:
    return [
        "review", "submit", "--config", str(config), "--period", "2026-Q4",
        "--as", CHLOE.email, "--status", "amber", "--confidence", "70",
        "--narrative-file", str(narrative), *extra,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        (["--narrative-file", "missing.md"], "--narrative-file: missing.md: no such file"),
        (["--confidence", "150"], "--confidence: '150' is not a whole number from 0 to 100"),
        (["--confidence", "high"], "--confidence: 'high' is not a whole number from 0 to 100"),
        (["--action", "q3-1"], "--action 'q3-1': expected ID=done|dropped|open[:note]"),
        (["--action", "q3-1=finished"], "--action 'q3-1=finished': expected"),
        (["--item", "world-peace"], "--item: review-"),
        (["--item", "reduce-churn"], "--item: reduce-churn is reported on by grace.kim@"),
        (["--ritual", "monthly-kpi-report"], "is a kpi_report ritual, not a strategy_review"),
        (["--ritual", "nope"], "unknown ritual 'nope'"),
        (["--period", "2026-13"], "--period: "),
        (["--as", ANA_OWNER], "--item is required: ana.silva@acme.example owns no item"),
    ],
)
async def test_bad_input_is_one_line_and_exit_2(
    config: tuple[Path, str],
    narrative: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    line: str,
) -> None:
    """Each mistake names the option and what is wrong, on one stderr line; nothing connects."""
    code, out, err = await review_cli(None, capsys, *submit_args(config[0], narrative, *extra))
    assert (2, "", 1) == (code, out, len(err.splitlines()))
    assert err.startswith("opsrhythm: ") and line in err


async def test_empty_narrative_file_is_refused(
    config: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty (or blank) narrative file is refused with its name, exit 2."""
    empty = tmp_path / "empty.md"
    empty.write_text("  \n")
    code, _, err = await review_cli(None, capsys, *submit_args(config[0], empty))
    assert (
        2,
        f"opsrhythm: --narrative-file: {empty} is empty: write the quarter's narrative\n",
    ) == (
        code,
        err,
    )


async def test_status_not_a_colour_is_refused(
    config: tuple[Path, str], narrative: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--status takes green, amber or red only: argparse's one line, exit 2."""
    code, _, err = await review_cli(
        None, capsys, *submit_args(config[0], narrative, "--status", "purple")
    )
    assert (2, 1, True) == (code, len(err.splitlines()), "invalid choice: 'purple'" in err)


@pytest.mark.dev_server
async def test_submit_records_versions_with_actions(
    dev_server_env: WorkflowEnvironment,
    config: tuple[Path, str],
    narrative: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`review submit` sends the update to <ritual>-<period>; sending again is version 2, with
    risks, asks and action updates as given."""
    client = dev_server_env.client
    path, workflow_id = config
    async with running_review(client, workflow_id=workflow_id, items=ITEMS):
        extra = ("--risk", "Two deals slipped", "--ask", "A solutions engineer")
        first = await review_cli(client, capsys, *submit_args(path, narrative, *extra))
        second = await review_cli(
            client,
            capsys,
            *submit_args(path, narrative, "--action", "q3-1=done:hired", "--action", "q3-2=open"),
        )
        status = await review_status(client, workflow_id)
    assert (0, 0) == (first[0], second[0])
    assert (
        f"submitted: grow-revenue for {workflow_id} as {CHLOE.email}, version 1; "
        f"see: opsrhythm review status {workflow_id}\n"
    ) == first[1]
    assert "version 2" in second[1]
    sent = [entry.submission for entry in status.submitted]
    assert (["Two deals slipped"], ["A solutions engineer"], "cli") == (
        sent[0].risks,
        sent[0].asks,
        sent[0].channel,
    )
    assert [("q3-1", "done", "hired"), ("q3-2", "open", "")] == [
        (u.action_id, u.state, u.note) for u in sent[1].action_updates
    ]


@pytest.mark.dev_server
async def test_workflow_refusal_is_one_line_and_exit_1(
    dev_server_env: WorkflowEnvironment,
    config: tuple[Path, str],
    narrative: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Once collection is closed, the workflow's reason comes back as one line, exit 1."""
    client = dev_server_env.client
    path, workflow_id = config
    async with running_review(client, "building pack", workflow_id=workflow_id, items=ITEMS):
        code, out, err = await review_cli(client, capsys, *submit_args(path, narrative))
    assert (1, "", "opsrhythm: refused: the pack is built: updates are closed\n") == (
        code,
        out,
        err,
    )


@pytest.mark.dev_server
async def test_submit_with_no_worker_is_bounded(
    dev_server_env: WorkflowEnvironment,
    config: tuple[Path, str],
    narrative: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No worker: one line within the wait saying the update was not recorded, exit 1."""
    monkeypatch.setattr(approvals_client, "DECISION_WAIT", timedelta(seconds=2))
    client = dev_server_env.client
    path, workflow_id = config
    handle = await start_review(client, str(uuid.uuid4()), workflow_id=workflow_id, items=ITEMS)
    try:
        code, out, err = await asyncio.wait_for(
            review_cli(client, capsys, *submit_args(path, narrative)), timeout=10
        )
    finally:
        await handle.terminate()
    assert (1, "") == (code, out)
    assert (
        "opsrhythm: no worker answered within 2 s; your update was not recorded — try again later\n"
    ) == err


@pytest.mark.dev_server
async def test_close_by_the_rituals_owner_only(
    dev_server_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    """`review close WF --as EMAIL`: another person is refused (exit 1); the owner closes it
    and sees the stage after."""
    client = dev_server_env.client
    async with running_review(client, items=ITEMS, owner=ANA_OWNER) as handle:
        refused = await review_cli(
            client, capsys, "review", "close", handle.id, "--as", GRACE.email
        )
        closed = await review_cli(client, capsys, "review", "close", handle.id, "--as", ANA_OWNER)
    assert (1, "opsrhythm: refused: only the ritual's owner may close collection\n") == (
        refused[0],
        refused[2],
    )
    assert 0 == closed[0]
    assert closed[1].startswith(f"closed: collection for {handle.id} closed by {ANA_OWNER}\n")
    assert "Review quarterly-strategy-review 2026-Q4: building pack" in closed[1]


async def test_close_needs_as_without_cli_users(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --as and no approvals.cli_users naming the OS user: one line, exit 2."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPSRHYTHM_CONFIG", raising=False)
    code, _, err = await review_cli(None, capsys, "review", "close", "some-review-2026-Q4")
    assert (
        2,
        "opsrhythm: --as EMAIL is required (no approvals.cli_users in the config names you)\n",
    ) == (
        code,
        err,
    )


@pytest.mark.dev_server
async def test_submit_and_close_drive_the_real_review(
    dev_server_env: WorkflowEnvironment,
    config: tuple[Path, str],
    narrative: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On the real StrategyReviewWorkflow with the example's activities: Chloé's CLI update is
    version 1, Grace may not send it for her, and the ritual's owner's `review close
    --send-now` builds the pack with the others marked missing, sends the pre-read, and
    sign-off is asked."""
    path, workflow_id = config
    for name in ("product_metrics.csv", "warehouse.sqlite"):
        shutil.copy(EXAMPLE_CONFIG.parent / name, path.parent / name)
    url = sqlite_url(path.parent / "opsrhythm.db")
    monkeypatch.setenv("OPSRHYTHM_DATABASE_URL", url)
    loaded = load_config(path)
    client, task_queue = dev_server_env.client, str(uuid.uuid4())
    worker = build_worker(
        client,
        loaded,
        task_queue=task_queue,
        transport=OutboxTransport(path.parent / "outbox", loaded.email),
        ledger=SendLedger.from_url(url),
        archive_dir=path.parent / "archive",
    )
    async with worker:
        handle = await client.start_workflow(
            StrategyReviewWorkflow.run,
            RitualRunInput(ritual_id=workflow_id.removesuffix("-2026-Q4"), period="2026-Q4"),
            id=workflow_id,
            task_queue=task_queue,
        )
        try:
            await stage(handle, "collecting")
            sent = await review_cli(client, capsys, *submit_args(path, narrative))
            as_grace = await review_cli(
                client,
                capsys,
                *submit_args(path, narrative, "--as", GRACE.email, "--item", "grow-revenue"),
            )
            closed = await review_cli(
                client, capsys, "review", "close", workflow_id, "--as", ANA_OWNER,
                "--config", str(path), "--send-now",
            )  # fmt: skip
            after = await stage(handle, "awaiting sign-off")
        finally:
            await handle.terminate()
    assert (0, True) == (sent[0], "version 1" in sent[1])
    assert (2, True) == (as_grace[0], "is reported on by chloe.dubois@" in as_grace[2])
    assert (0, True) == (closed[0], f"closed by {ANA_OWNER}" in closed[1])
    assert [("grow-revenue", "cli")] == [
        (s.submission.item_id, s.submission.channel) for s in after.submitted
    ]
    assert after.approval is not None and "Updates: 1 of 4 in" in after.approval.summary


@pytest.mark.dev_server
async def test_close_and_status_take_the_period_as_submit_does(
    dev_server_env: WorkflowEnvironment,
    config: tuple[Path, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`review status --period 2026-Q4` and `review close --period 2026-Q4` find the config's
    review's run, as `review submit --period` does."""
    path, workflow_id = config
    client = dev_server_env.client
    period = ("--period", "2026-Q4", "--config", str(path))
    async with running_review(
        client, items=ITEMS, owner=ANA_OWNER, workflow_id=workflow_id
    ) as handle:
        shown = await review_cli(client, capsys, "review", "status", *period)
        closed = await review_cli(client, capsys, "review", "close", *period, "--as", ANA_OWNER)
        requests = await handle.query(FakeReviewWorkflow.close_requests)
    assert (0, True) == (shown[0], "collecting" in shown[1])
    assert (0, f"closed: collection for {workflow_id} closed by {ANA_OWNER}") == (
        closed[0],
        closed[1].splitlines()[0],
    )
    assert [False] == [request.send_now for request in requests]


@pytest.mark.dev_server
async def test_close_send_now_asks_for_the_pre_read_at_once(
    dev_server_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    """`review close WF --send-now` sends CloseCollection(send_now=True): the pre-read goes
    out when the pack is built instead of at its planned time."""
    client = dev_server_env.client
    async with running_review(client, items=ITEMS, owner=ANA_OWNER) as handle:
        code, out, _ = await review_cli(
            client, capsys, "review", "close", handle.id, "--as", ANA_OWNER, "--send-now"
        )
        requests = await handle.query(FakeReviewWorkflow.close_requests)
    assert (0, [True]) == (code, [request.send_now for request in requests])
    assert out.startswith(f"closed: collection for {handle.id} closed by {ANA_OWNER}; the pre")


@pytest.mark.parametrize("command", ["close", "status"])
async def test_workflow_id_and_period_together_are_refused(
    command: str, config: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    path, workflow_id = config
    code, _, err = await review_cli(
        None, capsys, "review", command, workflow_id, "--period", "2026-Q4",
        "--config", str(path), *(["--as", ANA_OWNER] if command == "close" else []),
    )  # fmt: skip
    assert (2, "opsrhythm: give WORKFLOW_ID or --period/--ritual, not both\n") == (code, err)
