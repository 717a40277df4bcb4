"""Who the CLI is to Temporal, and whom it may decide as: the client identity each command
connects with, and the optional ``approvals.cli_users`` config."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

import pytest
from temporalio.client import Client

import starter
from opsrhythm.config_loader import load_config
from opsrhythm.platform import temporal_runtime
from opsrhythm.platform.approvals.identity import acting_as, cli_identity, os_user
from opsrhythm.platform.cli import Command, main
from opsrhythm.platform.cli_errors import ServerError, UsageError
from opsrhythm.platform.config_errors import ConfigError
from tests.conftest import EXAMPLE_CONFIG

CHLOE = "chloe.dubois@acme.example"


def config_with(tmp_path: Path, cli_users: str) -> Path:
    """The example config plus an ``approvals:`` section (YAML flow mapping ``cli_users``)."""
    path = tmp_path / "opsrhythm.yaml"
    path.write_text(EXAMPLE_CONFIG.read_text() + f"\napprovals:\n  cli_users: {cli_users}\n")
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """The command, on a context whose Temporal connection must not be reached."""

    async def connect() -> Client:
        raise ServerError("connected")

    context = dataclasses.replace(starter.context(), connect=connect)
    code = main(starter.commands(), argv, context)
    return code, capsys.readouterr().err


def test_cli_identity_names_the_command_the_os_user_and_the_host() -> None:
    """`opsrhythm web` run by this user here is 'opsrhythm web <user>@<host>' to Temporal."""
    assert f"opsrhythm web {os_user()}@{socket.gethostname()}" == cli_identity("web")


async def test_the_default_connect_calls_as_the_running_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A command's context connects with its identity; the web server's is `opsrhythm web`."""
    asked: list[str | None] = []

    async def connect(identity: str | None = None) -> Client:
        asked.append(identity)
        raise ServerError("recorded")

    monkeypatch.setattr(temporal_runtime, "connect", connect)
    running = starter.context().running(Command("web", "", "starter:main"))
    with pytest.raises(ServerError):
        await running.connect()
    assert ([cli_identity("web")], cli_identity("web")) == (asked, running.identity)


def test_acting_as_without_cli_users_is_what_as_says() -> None:
    assert CHLOE == acting_as(CHLOE, {}, "chloe")


def test_acting_as_requires_as_without_cli_users() -> None:
    with pytest.raises(UsageError, match=r"^--as EMAIL is required"):
        acting_as(None, {}, "chloe")


def test_cli_users_fill_in_as_and_refuse_someone_else() -> None:
    """Mapped: --as may be omitted, may be the same person (any case), never another."""
    users = {"chloe": CHLOE}
    assert (CHLOE, CHLOE) == (
        acting_as(None, users, "chloe"),
        acting_as(CHLOE.upper(), users, "chloe"),
    )
    with pytest.raises(UsageError) as raised:
        acting_as("ben.carter@acme.example", users, "chloe")
    assert (
        f"refused: OS user 'chloe' acts as {CHLOE} (approvals.cli_users), not as "
        "ben.carter@acme.example"
    ) == str(raised.value)


def test_cli_users_refuse_an_unmapped_os_user() -> None:
    with pytest.raises(UsageError, match="maps no person to OS user 'mallory'"):
        acting_as(CHLOE, {"chloe": CHLOE}, "mallory")


def test_redraft_by_an_unmapped_user_falls_back_to_the_identity() -> None:
    assert None is acting_as(None, {"chloe": CHLOE}, "mallory", required=False)


def test_cli_users_naming_an_unknown_person_is_one_config_line(tmp_path: Path) -> None:
    """A cli_users entry must name a person: one problem line naming the field."""
    path = config_with(tmp_path, "{alice: nobody}")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    [problem] = str(raised.value).splitlines()
    assert problem.startswith(f"{path}: approvals (line ")
    assert problem.endswith(
        "cli_users.alice: unknown person 'nobody' (known: ana, ben, chloe, "
        "dev, emma, farid, grace, hugo, isla, jonas, kenji)"
    )


def test_cli_users_map_people_to_emails(tmp_path: Path) -> None:
    assert {"chloe": CHLOE} == load_config(config_with(tmp_path, "{chloe: chloe}")).cli_users()


def test_approve_as_someone_else_is_refused_before_anything_is_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With cli_users mapping this OS user to Chloé, `approve --as ben` is one line, exit 2."""
    path = config_with(tmp_path, f"{{{os_user()}: chloe}}")
    code, err = run(
        ["approve", "wf-1", "--as", "ben.carter@acme.example", "--config", str(path)], capsys
    )
    assert (
        2,
        f"opsrhythm: refused: OS user {os_user()!r} acts as {CHLOE} (approvals.cli_users), not "
        "as ben.carter@acme.example\n",
    ) == (code, err)


def test_a_config_found_by_default_applies_its_cli_users(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No --config: ./opsrhythm.yaml, when there, is read for cli_users."""
    config_with(tmp_path, "{somebody-else: chloe}")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPSRHYTHM_CONFIG", raising=False)
    code, err = run(["reject", "wf-1", "--as", CHLOE, "--reason", "no"], capsys)
    expected = f"opsrhythm: refused: approvals.cli_users maps no person to OS user {os_user()!r}\n"
    assert (2, expected) == (code, err)


def test_without_a_config_as_is_required(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPSRHYTHM_CONFIG", raising=False)
    code, err = run(["approve", "wf-1"], capsys)
    assert 2 == code
    assert err.startswith("opsrhythm: --as EMAIL is required")
