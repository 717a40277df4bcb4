"""Anonymity, the retro's core: who wrote an item or cast a vote is in no database row (unless
they signed), no workflow history and no summary; author keys differ between retros; without
OPSRHYTHM_SECRET nothing is stored rather than stored with its author."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import sqlalchemy as sa
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.actions.store import ActionStore
from opsrhythm.rituals.process_retro.client import retro_status
from opsrhythm.rituals.process_retro.keys import author_keys_from_environment
from opsrhythm.rituals.process_retro.models import RenderSummaryInput
from opsrhythm.rituals.process_retro.store import RetroStore
from tests.databases import sqlite_url
from tests.process_retro.email_samples import activities, read_email
from tests.process_retro.retro_db import KEYS, SECRET
from tests.process_retro.retro_fakes import ANA, EMMA, FARID, GRACE, stage
from tests.process_retro.retro_live import environment, live_retro, retro_cli

ANONYMOUS = "Our release notes are always late"
SIGNED = "Pair on the changelog"


def every_value(url: str) -> list[str]:
    """Every value of every row of the retro tables, as text."""
    engine = sa.create_engine(url)
    found: list[str] = []
    with engine.connect() as conn:
        for table in ("opsrhythm_retro_items", "opsrhythm_retro_votes"):
            for row in conn.execute(sa.text(f"SELECT * FROM {table}")):
                found.extend(str(value) for value in row)
    engine.dispose()
    return found


def readable(node: object) -> str:
    """The history as text, every payload's data decoded (it is base64 in the JSON)."""
    if isinstance(node, dict):
        return " ".join(
            base64.b64decode(v).decode("utf-8", "replace")
            if k == "data" and isinstance(v, str)
            else readable(v)
            for k, v in node.items()
        )
    if isinstance(node, list):
        return " ".join(readable(v) for v in node)
    return str(node)


async def test_authors_are_nowhere_but_in_their_keys(
    dev_server_env: WorkflowEnvironment,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    example_config: OpsRhythmConfig,
) -> None:
    """Emma adds an item and votes, Farid signs his: the rows hold keys (and Farid's name on
    his signed item), the history neither text nor keys, the summary only Farid's name."""
    url = sqlite_url(tmp_path / "opsrhythm.db")
    environment(monkeypatch, url)
    client = dev_server_env.client

    async def cli(*argv: str) -> int:
        return (await retro_cli(client, capsys, *argv))[0]

    async with live_retro(client, url) as handle:
        wf = handle.id
        await stage(handle, "collecting")
        add = ("retro", "add", "--retro", wf, "--prompt")
        assert 0 == await cli(*add, "stop", ANONYMOUS, "--as", EMMA.email)
        assert 0 == await cli(*add, "start", SIGNED, "--as", FARID.email, "--sign")
        assert 0 == await cli("retro", "advance", wf, "--as", ANA.email)
        await stage(handle, "grouping")
        assert 0 == await cli("retro", "advance", wf, "--as", ANA.email)
        await stage(handle, "voting")
        assert 0 == await cli("retro", "vote", wf, "G1", "G1", "--as", EMMA.email)
        assert 0 == await cli("retro", "advance", wf, "--as", ANA.email)
        status = await retro_status(client, wf)
        assert 0 == await cli("retro", "advance", wf, "--as", ANA.email)
        await handle.result()
        history = readable((await handle.fetch_history()).to_json_dict())

    keys = {person.email: KEYS.author_key(wf, person.email) for person in (EMMA, FARID)}
    values = every_value(url)
    for person in (EMMA, FARID, GRACE):
        assert not [v for v in values if person.email.lower() in v.lower()]
    assert EMMA.name not in values and "Farid Haddad" in values
    assert set(keys.values()) <= set(values)
    assert EMMA.email in history  # the plan's participants: the payloads were decoded
    for secret_part in (ANONYMOUS, SIGNED, *keys.values()):
        assert secret_part not in history
    assert 2 == status.counts.items and 2 == status.counts.participants

    assert status.plan is not None
    store, actions = RetroStore.from_url(url), ActionStore.from_url(url)
    summary = ActivityEnvironment().run(
        activities(
            example_config, tmp_path / "archive", retro=store, actions=actions
        ).render_retro_summary,
        RenderSummaryInput(workflow_id=wf, plan=status.plan, reviewed_actions=[]),
    )
    store.close()
    actions.close()
    text = read_email(summary.path).model_dump_json()
    assert ANONYMOUS in text and SIGNED in text and "Farid Haddad" in text
    assert EMMA.name not in text and EMMA.email not in text and SECRET not in text


def test_keys_differ_between_retros_and_ignore_case() -> None:
    one, two = "process-retro-2026-W49", "process-retro-2027-W03"
    assert (True, False) == (
        KEYS.author_key(one, "Emma@Acme.example") == KEYS.author_key(one, "emma@acme.example"),
        KEYS.author_key(one, EMMA.email) == KEYS.author_key(two, EMMA.email),
    )


async def test_without_the_secret_nothing_is_stored(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """One line, exit 2, before any connection: an item is never kept with its author."""
    monkeypatch.delenv("OPSRHYTHM_SECRET", raising=False)
    with pytest.raises(Exception, match="set OPSRHYTHM_SECRET"):
        author_keys_from_environment()
    code, out, err = await retro_cli(
        None,  # type: ignore[arg-type]
        capsys,
        "retro", "add", "--retro", "process-retro-2026-W49", "--as", EMMA.email,
        "--prompt", "stop", "Too slow",
    )  # fmt: skip
    assert (2, "", 1) == (code, out, len(err.strip().splitlines()))
    assert "set OPSRHYTHM_SECRET" in err
