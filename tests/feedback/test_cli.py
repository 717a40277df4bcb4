"""`opsrhythm feedback ...` through the CLI: import summary, submit, views, rules test, errors."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

import starter
from opsrhythm.config_loader import ConfigError, parse_config
from opsrhythm.platform import cli
from opsrhythm.platform.cli_errors import ServerError
from opsrhythm.rituals.feedback.handlers import NO_WATCHER
from opsrhythm.rituals.feedback.sla_models import SLA_WATCH_ID
from tests.conftest import EXAMPLE_CONFIG
from tests.databases import sqlite_url

FEEDBACK_CSV = EXAMPLE_CONFIG.parent / "feedback.csv"


@pytest.fixture(autouse=True)
def database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OPSRHYTHM_DATABASE_URL", sqlite_url(tmp_path / "cli.db"))
    monkeypatch.setenv("OPSRHYTHM_CONFIG", str(EXAMPLE_CONFIG))


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = starter.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_prints_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """A first import reports what was imported and quarantined."""
    code, out, _ = run_cli(capsys, "feedback", "import", "--in-process", str(FEEDBACK_CSV))
    assert (0, "imported 9 (1 near-duplicates linked), duplicates 0, quarantined 4 (4 new)") == (
        code,
        out.strip().splitlines()[0],
    )


def test_second_import_imports_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """Importing the same file twice: only duplicates the second time."""
    run_cli(capsys, "feedback", "import", "--in-process", str(FEEDBACK_CSV))
    _, out, _ = run_cli(capsys, "feedback", "import", "--in-process", str(FEEDBACK_CSV))
    assert (
        "imported 0 (0 near-duplicates linked), duplicates 9, quarantined 4 (0 new)"
        == out.strip().splitlines()[0]
    )


def test_missing_file_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A file that does not exist: exit 2 and one line naming it."""
    code, _, err = run_cli(capsys, "feedback", "import", str(tmp_path / "nope.csv"))
    assert (2, 1) == (code, len(err.strip().splitlines()))


def test_submit_routes_the_item(capsys: pytest.CaptureFixture[str]) -> None:
    """A submitted item is routed at once, and says where."""
    _, out, _ = run_cli(
        capsys, "feedback", "submit", "--text", "Refund please", "--from", "a@acme.test"
    )
    assert "stored: billing / payments / farid" == out.strip().split(" ", 1)[1]


def test_list_filters_by_area(capsys: pytest.CaptureFixture[str]) -> None:
    """`feedback list --area` shows only that area's items."""
    run_cli(capsys, "feedback", "import", "--in-process", str(FEEDBACK_CSV))
    _, out, _ = run_cli(capsys, "feedback", "list", "--area", "integrations")
    assert "2 item(s)" == out.strip().splitlines()[-1]


def test_submit_with_a_bad_email_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """A malformed submission is refused with its reason."""
    code, _, err = run_cli(capsys, "feedback", "submit", "--text", "x", "--from", "nobody")
    assert (2, "opsrhythm: submitter: not an email address") == (code, err.strip())


def test_quarantine_lists_the_reasons(capsys: pytest.CaptureFixture[str]) -> None:
    """`feedback quarantine` shows each malformed row's reason."""
    run_cli(capsys, "feedback", "import", "--in-process", str(FEEDBACK_CSV))
    _, out, _ = run_cli(capsys, "feedback", "quarantine")
    assert "Field required" in out


def test_rules_test_names_the_winning_rule(capsys: pytest.CaptureFixture[str]) -> None:
    """`feedback rules test` prints the matching rule and the routing."""
    _, out, _ = run_cli(capsys, "feedback", "rules", "test", "Refund the invoice")
    assert (
        "→ area billing, team payments, assignee farid, priority P2, score 10"
        == (out.strip().splitlines()[-1])
    )


def test_config_without_feedback_section_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Feedback commands need a feedback: section, and say so."""
    bare = tmp_path / "bare.yaml"
    text = EXAMPLE_CONFIG.read_text()
    bare.write_text(text[: text.index("\nfeedback:")])
    code, _, err = run_cli(capsys, "feedback", "list", "--config", str(bare))
    assert (2, "opsrhythm: the config has no feedback: section") == (code, err.strip())


def test_config_rejects_unknown_areas_and_people() -> None:
    """Rules naming an unknown area and rotations naming unknown people are config errors."""
    text = EXAMPLE_CONFIG.read_text().replace("area: billing", "area: biling")
    text = text.replace("rotation: [ana, kenji]", "rotation: [ana, zed]")
    with pytest.raises(ConfigError) as error:
        parse_config(text, source="x.yaml", base_dir=EXAMPLE_CONFIG.parent)
    assert 2 == sum("feedback." in line for line in str(error.value).splitlines())


def test_import_goes_through_an_embedded_temporal_server(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --in-process or a configured server, the import runs as a workflow, same result,
    and says in one line that SLA emails need a watcher on a server."""
    monkeypatch.delenv("TEMPORAL_ADDRESS", raising=False)
    code, out, _ = run_cli(capsys, "feedback", "import", str(FEEDBACK_CSV))
    expected = "imported 9 (1 near-duplicates linked), duplicates 0, quarantined 4 (4 new)"
    assert (0, [expected, NO_WATCHER]) == (code, out.strip().splitlines())


def test_import_reaches_a_configured_server_through_the_contexts_connect(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a server configured, the import connects through `CliContext.connect`."""
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")  # what connect() alone would reach

    async def connect() -> Client:
        raise ServerError("the context's connect was called")

    context = dataclasses.replace(starter.context(), connect=connect)
    code = cli.main(starter.commands(), ["feedback", "import", str(FEEDBACK_CSV)], context)
    assert (1, "opsrhythm: the context's connect was called\n") == (code, capsys.readouterr().err)


def test_ack_as_someone_not_configured_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """`feedback ack --as` must name a person in the config."""
    code, _, err = run_cli(capsys, "feedback", "ack", "fb-1", "--as", "stranger@else.test")
    assert (2, "opsrhythm: --as stranger@else.test: not a person in the config") == (
        code,
        err.strip(),
    )


def test_resolve_through_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    """`feedback resolve` changes the item's status, shown by `list --status`."""
    _, out, _ = run_cli(
        capsys, "feedback", "submit", "--text", "Refund please", "--from", "a@acme.test"
    )
    item_id = out.split()[0]
    run_cli(
        capsys,
        "feedback",
        "resolve",
        item_id,
        "--as",
        "farid.haddad@acme.example",
        "--status",
        "shipped",
        "--note",
        "Fixed in 4.2",
    )
    _, out, _ = run_cli(capsys, "feedback", "list", "--status", "shipped")
    assert "1 item(s)" == out.strip().splitlines()[-1]


def test_watch_without_a_server_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`feedback watch` needs a reachable server and says so in one line."""
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
    code, _, err = run_cli(capsys, "feedback", "watch")
    assert (1, 1) == (code, len(err.strip().splitlines()))


@pytest.mark.dev_server
async def test_watch_starts_one_watcher(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    dev_server_env: WorkflowEnvironment,
) -> None:
    """Running `feedback watch` twice leaves one running watcher workflow."""
    address = dev_server_env.client.service_client.config.target_host
    monkeypatch.setenv("TEMPORAL_ADDRESS", address)
    await asyncio.to_thread(starter.main, ["feedback", "watch"])
    await asyncio.to_thread(starter.main, ["feedback", "watch"])
    handle = dev_server_env.client.get_workflow_handle(SLA_WATCH_ID)
    first = await handle.describe()
    await handle.terminate()
    assert (WorkflowExecutionStatus.RUNNING, SLA_WATCH_ID) == (first.status, first.id)


def resolve_args(item_id: str) -> list[str]:
    return [
        "feedback",
        "resolve",
        item_id,
        "--as",
        "farid.haddad@acme.example",
        "--status",
        "planned",
        "--note",
        "Next quarter",
    ]


@pytest.mark.dev_server
async def test_resolve_wakes_the_configured_servers_watcher(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    dev_server_env: WorkflowEnvironment,
) -> None:
    """With a server configured, a CLI resolution starts (or pokes) the SLA watcher."""
    monkeypatch.setenv("TEMPORAL_ADDRESS", dev_server_env.client.service_client.config.target_host)
    _, out, _ = run_cli(capsys, "feedback", "submit", "--text", "Refund", "--from", "a@acme.test")
    code = await asyncio.to_thread(starter.main, resolve_args(out.split()[0]))
    handle = dev_server_env.client.get_workflow_handle(SLA_WATCH_ID)
    described = await handle.describe()
    await handle.terminate()
    assert (0, WorkflowExecutionStatus.RUNNING) == (code, described.status)
    assert "emailed after the reply window" in capsys.readouterr().out


def test_resolve_is_kept_when_the_server_is_down(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unreachable server only delays the replies: exit 0, the item resolved, a warning."""
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
    _, out, _ = run_cli(capsys, "feedback", "submit", "--text", "Refund", "--from", "a@acme.test")
    code, out, _ = run_cli(capsys, *resolve_args(out.split()[0]))
    _, listing, _ = run_cli(capsys, "feedback", "list", "--status", "planned")
    assert (0, True, True) == (code, "could not be woken" in out, "1 item(s)" in listing)
