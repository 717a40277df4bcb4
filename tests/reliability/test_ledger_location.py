"""Where the send ledger lives: a worker serving a shared Temporal server never runs on the
default SQLite file under its working directory, which a restart elsewhere would replace."""

from __future__ import annotations

from pathlib import Path

import pytest

import starter
from opsrhythm.platform.ledger_keys import DATABASE_URL_ENV
from tests.conftest import EXAMPLE_CONFIG


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh working directory and a Temporal server nobody listens on: anything that gets as
    far as connecting fails differently from the refusal under test."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
    return tmp_path


@pytest.mark.parametrize("value", [None, "", "   "], ids=["unset", "empty", "blank"])
def test_worker_refuses_the_implicit_database(
    value: str | None,
    elsewhere: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`opsrhythm worker` with no database configured exits 2 in one line naming the variable,
    before it creates ./.opsrhythm or reaches the server."""
    if value is None:
        monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    else:
        monkeypatch.setenv(DATABASE_URL_ENV, value)
    code = starter.main(["worker", "--config", str(EXAMPLE_CONFIG)])
    err = capsys.readouterr().err
    assert (2, 1) == (code, len(err.splitlines()))
    assert err.startswith(f"opsrhythm: worker: set {DATABASE_URL_ENV} ")
    assert not (elsewhere / ".opsrhythm").exists()


def test_web_refuses_the_implicit_database(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`opsrhythm web` records used approval links and feedback: the same refusal, in one line,
    before it creates ./.opsrhythm or reaches the server."""
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.delenv("OPSRHYTHM_CONFIG", raising=False)
    monkeypatch.setenv("OPSRHYTHM_SECRET", "a-long-enough-secret-for-links")
    code = starter.main(["web"])
    err = capsys.readouterr().err
    assert (2, 1) == (code, len(err.splitlines()))
    assert err.startswith(f"opsrhythm: web: set {DATABASE_URL_ENV} ")
    assert not (elsewhere / ".opsrhythm").exists()


def test_worker_with_a_configured_database_goes_on_to_the_server(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the variable set, the refusal steps aside: the worker checks the database and then
    fails only on the unreachable server."""
    monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{elsewhere / 'shared.db'}")
    assert 0 == starter.main(["db", "upgrade"])
    code = starter.main(["worker", "--config", str(EXAMPLE_CONFIG)])
    err = capsys.readouterr().err
    assert (1, True) == (code, err.startswith("opsrhythm: cannot reach Temporal at 127.0.0.1:1"))


@pytest.mark.dev_server
def test_an_embedded_run_keeps_the_default(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`run --wait` with no TEMPORAL_ADDRESS starts its own server, which dies with it, so it
    still runs on the SQLite file in ./.opsrhythm."""
    for name in ("TEMPORAL_ADDRESS", "SENDGRID_API_KEY", DATABASE_URL_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPSRHYTHM_OUTBOX", str(elsewhere / "outbox"))
    monkeypatch.setenv("OPSRHYTHM_ARCHIVE", str(elsewhere / "archive"))
    argv = ["run", "monthly-kpi-report", "--period", "2026-09", "--wait"]
    code = starter.main([*argv, "--config", str(EXAMPLE_CONFIG)])
    assert (0, "") == (code, capsys.readouterr().err)
    assert (elsewhere / ".opsrhythm" / "opsrhythm.db").is_file()
