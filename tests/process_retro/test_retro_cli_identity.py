"""`retro mine|edit|delete` read or change existing anonymous items, so `--as` alone is not
enough: the OS user must be mapped to the caller by approvals.cli_users. Without that the
command refuses in one line (exit 2) and points to the invite's personal link; nothing of
anyone's items is printed or changed. No Temporal server: the refusal comes first."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
from temporalio.client import Client

from opsrhythm.rituals.process_retro import handlers
from opsrhythm.rituals.process_retro.store import RetroStore
from tests.databases import sqlite_url
from tests.process_retro.retro_db import KEYS, WORKFLOW_ID
from tests.process_retro.retro_fakes import EMMA, FARID
from tests.process_retro.retro_live import environment, retro_cli

SECRET_ITEM = "The release manager ignores support"
REFUSAL = (
    "opsrhythm: refused: approvals.cli_users maps no person to OS user 'farid', and --as alone "
    "proves nothing; see or change your items through the personal link in your invite email\n"
)


@pytest.fixture
def emma_wrote(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    url = sqlite_url(tmp_path / "opsrhythm.db")
    environment(monkeypatch, url)
    store = RetroStore.from_url(url)
    store.add_item(WORKFLOW_ID, KEYS.author_key(WORKFLOW_ID, EMMA.email), "stop", SECRET_ITEM)
    monkeypatch.setattr(handlers, "os_user", lambda: "farid")
    yield store
    store.close()


class _Unreachable:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError("the command used Temporal before refusing")


NO_TEMPORAL = cast(Client, _Unreachable())


@pytest.mark.parametrize(
    "argv",
    [
        ("retro", "mine", WORKFLOW_ID, "--as", EMMA.email),
        ("retro", "edit", WORKFLOW_ID, "I1", "hijacked", "--as", EMMA.email),
        ("retro", "delete", WORKFLOW_ID, "I1", "--as", EMMA.email),
    ],
    ids=["mine", "edit", "delete"],
)
async def test_as_alone_cannot_read_or_change_someone_s_items(
    emma_wrote: RetroStore, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    code, out, err = await retro_cli(NO_TEMPORAL, capsys, *argv)
    assert (2, "", REFUSAL) == (code, out, err)
    assert [SECRET_ITEM] == [i.text for i in emma_wrote.all_items(WORKFLOW_ID)]


async def test_a_mapped_os_user_sees_only_their_own_and_may_not_name_another(
    emma_wrote: RetroStore, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    users = {"farid": FARID.email}
    monkeypatch.setattr(handlers, "cli_users_of", lambda args, context: users)
    farid = KEYS.author_key(WORKFLOW_ID, FARID.email)
    emma_wrote.add_item(WORKFLOW_ID, farid, "start", "Pair on the changelog")
    own = await retro_cli(NO_TEMPORAL, capsys, "retro", "mine", WORKFLOW_ID)
    named = await retro_cli(NO_TEMPORAL, capsys, "retro", "mine", WORKFLOW_ID, "--as", EMMA.email)
    assert 0 == own[0] and "I2 [start] Pair on the changelog" in own[1]
    assert SECRET_ITEM not in own[1] + named[1] + named[2]
    assert (
        2,
        f"opsrhythm: refused: OS user 'farid' acts as {FARID.email} (approvals.cli_users), "
        f"not as {EMMA.email}\n",
    ) == (named[0], named[2])
