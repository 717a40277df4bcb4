"""`opsrhythm actions ...`: one line and exit 2 for bad input, 1 for a database that is down,
JSON documents, carrying, the follow-up started on Temporal, and an action kept (exit 3, the
command to run later) when Temporal is down. `actions list` never imports temporalio."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

import starter
from opsrhythm.platform.actions.follow_up import FOLLOW_UP_WORKFLOW, follow_up_workflow_id
from opsrhythm.platform.actions.store import ActionStore
from opsrhythm.platform.cli import CliContext, main_async
from opsrhythm.platform.temporal_runtime import TemporalUnavailable
from tests.conftest import EXAMPLE_CONFIG
from tests.test_cli_json import on_server

CONFIG = ["--config", str(EXAMPLE_CONFIG)]
DOWN = "postgresql+psycopg://ops:s3cret@127.0.0.1:1/ops"


def temporal_down() -> CliContext:
    async def connect() -> Client:
        raise TemporalUnavailable("cannot reach Temporal at 127.0.0.1:1 (refused)")

    return dataclasses.replace(starter.context(), connect=connect)


def add_argv(database_url: str, origin: str = "monthly-kpi-report-2026-10") -> list[str]:
    return [
        "actions", "add", *CONFIG, "--database-url", database_url, "--origin", origin,
        "--owner", "Emma.Larsen@acme.example", "--due", "2026-12-20", "--title", "Fix churn",
    ]  # fmt: skip


async def run(
    context: CliContext, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str, str]:
    code = await main_async(starter.commands(), list(argv), context)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--owner", "zed"], "--owner: 'zed' is not a person in the config"),
        (["--due", "2026-13-01"], "--due: '2026-13-01' is not a date in the form YYYY-MM-DD"),
        (["--origin", "retro-2026-W48"], "--origin retro-2026-W48: not a run of a ritual"),
        (["--period", "2026-09"], "--origin monthly-kpi-report-2026-10 is monthly-kpi-report's"),
        (["--title", "  "], "--title: give 1 to 500 characters"),
    ],
)
async def test_add_refuses_bad_input_in_one_line(
    argv: list[str], says: str, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2, one line naming the option; nothing recorded and Temporal never asked."""
    code, _, err = await run(temporal_down(), capsys, *add_argv(database_url), *argv)
    store = ActionStore.from_url(database_url)
    recorded = store.find()
    store.close()
    assert (2, 1, True, []) == (
        code,
        len(err.splitlines()),
        err.startswith(f"opsrhythm: {says}"),
        recorded,
    )


async def test_add_keeps_the_action_when_temporal_is_down(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The action is stored; exit 3 and one line with the command that starts its reminders."""
    code, out, err = await run(temporal_down(), capsys, *add_argv(database_url))
    store = ActionStore.from_url(database_url)
    found = [(a.action_id, a.owner_email, a.state) for a in store.find()]
    store.close()
    assert (3, [("monthly-kpi-report-2026-10-1", "emma.larsen@acme.example", "open")]) == (
        code,
        found,
    )
    assert "monthly-kpi-report-2026-10-1: recorded for Emma Larsen, due 2026-12-20\n" == out
    assert 1 == len(err.splitlines())
    assert err.rstrip().endswith("run: opsrhythm actions follow-up monthly-kpi-report-2026-10")


async def test_list_done_drop_and_their_refusals(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """JSON lists every field; a second `done` and an unknown id are refused in one line."""
    context = temporal_down()
    for _ in range(2):
        await run(context, capsys, *add_argv(database_url))
    first, second = "monthly-kpi-report-2026-10-1", "monthly-kpi-report-2026-10-2"
    db = ["--database-url", database_url]
    done = await run(context, capsys, "actions", "done", first, "--note", "shipped", *db)
    again = await run(context, capsys, "actions", "done", first, *db)
    unknown = await run(context, capsys, "actions", "drop", "nope-1", "--reason", "x", *db)
    dropped = await run(context, capsys, "actions", "drop", second, "--reason", "moot", *db)
    code, out, _ = await run(context, capsys, "actions", "list", "--json", "--state", "done", *db)
    listed: list[dict[str, Any]] = json.loads(out)["actions"]
    assert (3, 1, 2, 3) == (done[0], again[0], unknown[0], dropped[0])
    assert f"opsrhythm: {first} not changed: already done\n" == again[2]
    assert "opsrhythm: no action nope-1 (see: opsrhythm actions list)\n" == unknown[2]
    assert (0, [first], "shipped") == (code, [a["action_id"] for a in listed], listed[0]["note"])
    assert {
        "action_id", "origin", "ritual_id", "period", "title", "owner_email", "owner_name",
        "due", "state", "kind", "carried_from", "note", "updated_at",
    } == set(listed[0])  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["actions", "list", "--overdue", "--state", "done"], "--overdue lists open actions only"),
        (["actions", "list", "--state", "late"], "actions list: argument --state: invalid choice"),
        (
            ["actions", "carry", "--ritual", "r", "--from", "2026-Q4", "--to", "2026-Q3"],
            "--to 2026-Q3 must be a later period of the same kind as --from 2026-Q4",
        ),
        (["actions", "carry", "--ritual", "r", "--from", "2026-Q4", "--to", "Q1"], "--to: period"),
        (["actions", "drop", "x-1", "--reason", " "], "--reason: say why the action is dropped"),
    ],
)
async def test_other_commands_refuse_bad_input_in_one_line(
    argv: list[str], says: str, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = await run(temporal_down(), capsys, *argv, "--database-url", database_url)
    assert (2, 1, True) == (code, len(err.splitlines()), err.startswith(f"opsrhythm: {says}"))


@pytest.mark.parametrize(
    "argv",
    [
        ["actions", "list"],
        ["actions", "done", "x-1"],
        ["actions", "add", *CONFIG, "--origin", "monthly-kpi-report-2026-10", "--owner", "emma",
         "--due", "2026-12-20", "--title", "t"],
        ["actions", "carry", "--ritual", "r", "--from", "2026-Q3", "--to", "2026-Q4"],
    ],
)  # fmt: skip
async def test_database_down_is_one_line_and_exit_1(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Named without its password; Temporal is never asked about a change not stored."""
    asked: list[bool] = []

    async def connect() -> Client:
        asked.append(True)
        raise AssertionError("connected")

    context = dataclasses.replace(starter.context(), connect=connect)
    code, _, err = await run(context, capsys, *argv, "--database-url", DOWN)
    assert (1, 1, False, []) == (code, len(err.splitlines()), "s3cret" in err, asked)
    assert err.startswith("opsrhythm: cannot connect to the database postgresql+psycopg://ops:***@")


@pytest.mark.dev_server
async def test_add_and_carry_start_the_follow_up(
    dev_server_env: WorkflowEnvironment, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`add` starts actions-<origin>; `carry --json` moves it and starts the next period's."""
    ritual = f"retro-{uuid.uuid4().hex[:8]}"
    origin, next_origin = f"{ritual}-2026-W48", f"{ritual}-2026-W50"
    db = ["--database-url", database_url]
    context = on_server(dev_server_env)
    added = await run(
        context, capsys, *add_argv(database_url, origin), "--ritual", ritual, "--period", "2026-W48"
    )
    code, out, err = await run(
        context, capsys, "actions", "carry", "--ritual", ritual, "--from", "2026-W48",
        "--to", "2026-W50", "--json", *db,
    )  # fmt: skip
    carried = json.loads(out)["carried"]
    started = []
    for workflow_id in (follow_up_workflow_id(origin), follow_up_workflow_id(next_origin)):
        handle = dev_server_env.client.get_workflow_handle(workflow_id)
        started.append((await handle.describe()).workflow_type)
        await handle.terminate("test done")
    assert (0, 0, "") == (added[0], code, err)
    assert [(f"{origin}-1", f"{next_origin}-1", f"{origin}-1")] == [
        (c["from"], c["to"]["action_id"], c["to"]["carried_from"]) for c in carried
    ]
    assert [FOLLOW_UP_WORKFLOW, FOLLOW_UP_WORKFLOW] == started


def test_list_never_imports_temporalio(tmp_path: Path) -> None:
    """`actions list` (text and JSON) only reads the database."""
    environment = {k: v for k, v in os.environ.items() if k != "OPSRHYTHM_DATABASE_URL"}
    probe = (
        "import json, sys, starter\n"
        "codes = [starter.main(['actions', 'list']), starter.main(['actions', 'list', '--json'])]\n"
        "print(json.dumps([codes, 'temporalio' in sys.modules]), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert [[0, 0], False] == json.loads(done.stderr.splitlines()[-1])


def decision_argv(database_url: str, *extra: str) -> list[str]:
    origin = "quarterly-strategy-review-2026-Q4"
    return [
        "actions", "add", *CONFIG, "--database-url", database_url, "--origin", origin,
        "--owner", "Emma.Larsen@acme.example", "--decision",
        "--title", "Self-serve pricing stays as it is until Q2", *extra,
    ]  # fmt: skip


async def test_a_decision_is_recorded_without_due_date_or_follow_up(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`actions add --decision`: no --due (one is refused), no Temporal needed (exit 0 with it
    down: nothing to remind); listed with its kind, never overdue, never carried."""
    context = temporal_down()
    refused = await run(context, capsys, *decision_argv(database_url, "--due", "2027-01-01"))
    no_due = await run(context, capsys, *[a for a in add_argv(database_url) if a != "2026-12-20"
                                          and a != "--due"])  # fmt: skip
    code, out, err = await run(context, capsys, *decision_argv(database_url))
    db = ["--database-url", database_url]
    listed = json.loads((await run(context, capsys, "actions", "list", "--json", *db))[1])
    overdue = json.loads(
        (await run(context, capsys, "actions", "list", "--json", "--overdue", *db))[1]
    )
    table = (await run(context, capsys, "actions", "list", *db))[1]
    store = ActionStore.from_url(database_url)
    carried = store.carry("quarterly-strategy-review", "2026-Q4", "2027-Q1", actor="ana@cli")
    store.close()
    first = "quarterly-strategy-review-2026-Q4-1"
    assert (2, "opsrhythm: --due: a decision has no due date (it is recorded as of today)\n") == (
        refused[0],
        refused[2],
    )
    assert (2, True) == (no_due[0], no_due[2].startswith("opsrhythm: --due: give the action's"))
    assert (0, "") == (code, err)
    assert out.startswith(f"{first}: decision recorded for Emma Larsen, ")
    assert [(first, "decision", "open")] == [
        (a["action_id"], a["kind"], a["state"]) for a in listed["actions"]
    ]
    assert ([], []) == (overdue["actions"], carried)
    assert "decision" in table and "decided " in table
