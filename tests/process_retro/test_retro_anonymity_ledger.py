"""Anonymity in the send ledger: a retro run with the real activities (plan, store, emails,
summary) and the real SQLite send ledger, items and votes added through ``opsrhythm retro``.
The ledger's rows name each email's recipient and nothing else about people: an unsigned
item's author appears only as a recipient, never beside any email to someone else, and no
row holds an item's text or an author key."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from temporalio.testing import WorkflowEnvironment

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.ledger import SendLedger
from opsrhythm.platform.mail.outbox import OutboxTransport
from opsrhythm.platform.models import RitualRunInput
from tests.databases import sqlite_url
from tests.process_retro.retro_db import KEYS
from tests.process_retro.retro_fakes import Handle, stage
from tests.process_retro.retro_live import environment, retro_cli
from tests.process_retro.test_retro_workflow_e2e import ANA, EMMA
from worker import build_worker
from workflows.process_retro import ProcessRetroWorkflow

FARID = "farid.haddad@acme.example"
ANONYMOUS = "Our release notes are always late"
SIGNED = "Pair on the changelog"


def ledger_rows(url: str) -> list[dict[str, str]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM opsrhythm_send_ledger")).mappings().all()
    engine.dispose()
    return [{column: str(value) for column, value in row.items()} for row in rows]


async def test_the_ledger_names_recipients_only(
    dev_server_env: WorkflowEnvironment,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    example_config: OpsRhythmConfig,
) -> None:
    """Emma adds an unsigned item and votes, Farid signs his; after the summary the ledger
    holds Emma's address only in the rows of emails sent to her, and nowhere the items' text
    or their author keys."""
    url = sqlite_url(tmp_path / "opsrhythm.db")
    environment(monkeypatch, url)
    client = dev_server_env.client
    ledger = SendLedger.from_url(url)
    task_queue = str(uuid.uuid4())
    worker = build_worker(
        client,
        example_config,
        task_queue=task_queue,
        transport=OutboxTransport(tmp_path / "outbox", example_config.email),
        ledger=ledger,
        archive_dir=tmp_path / "archive",
    )

    async def cli(*argv: str) -> int:
        code, _, err = await retro_cli(client, capsys, *argv)
        assert 0 == code, err
        return code

    try:
        async with worker:
            handle: Handle = await client.start_workflow(
                ProcessRetroWorkflow.run,
                RitualRunInput(ritual_id="process-retro", period="2026-W49"),
                id=f"process-retro-2026-W49-{uuid.uuid4().hex[:8]}",
                task_queue=task_queue,
            )
            wf = handle.id
            await stage(handle, "collecting")
            add = ("retro", "add", "--retro", wf, "--prompt")
            assert 0 == await cli(*add, "stop", ANONYMOUS, "--as", EMMA)
            assert 0 == await cli(*add, "start", SIGNED, "--as", FARID, "--sign")
            for closing in ("collecting", "grouping", "voting", "actions"):
                await stage(handle, closing)
                if closing == "voting":
                    assert 0 == await cli("retro", "vote", wf, "G1", "--as", EMMA)
                assert 0 == await cli("retro", "advance", wf, "--as", ANA)
            result = await handle.result()
    finally:
        ledger.close()

    rows = ledger_rows(url)
    summary_to = {r["email"] for r in rows if r["audience_id"] == "summary"}
    assert EMMA in summary_to and FARID in summary_to
    assert [] == [f for d in result.deliveries for f in d.failed]
    assert (2, 1) == (result.counts.items, result.counts.votes)
    for row in rows:
        others = [value for column, value in row.items() if column != "email"]
        if row["email"].lower() != EMMA.lower():
            others.append(row["email"])
        text = " ".join(others).lower()
        assert EMMA.lower() not in text, row
        for hidden in (ANONYMOUS, SIGNED, KEYS.author_key(wf, EMMA)):
            assert hidden.lower() not in text, row
