"""The CLI shell: commands declared as data, lazy handlers, one-line errors and exit codes."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import pytest

import starter
from opsrhythm.platform import cli
from opsrhythm.platform.cli import CliContext, Command, Group
from opsrhythm.platform.cli_errors import ServerError, UsageError
from opsrhythm.platform.config_errors import ConfigError, ConfigProblem
from opsrhythm.platform.ritual_kind import load
from tests.conftest import REPO

HERE = "tests.test_cli_shell"


def ok(args: argparse.Namespace, context: CliContext) -> int:
    print(f"ok {args.name} config={args.config} json={args.json}")
    return 0


async def ok_async(args: argparse.Namespace, context: CliContext) -> int:
    return 7


def usage(args: argparse.Namespace, context: CliContext) -> int:
    raise UsageError("--name: no such thing")


def server(args: argparse.Namespace, context: CliContext) -> int:
    raise ServerError("cannot reach Temporal at 127.0.0.1:1")


def config(args: argparse.Namespace, context: CliContext) -> int:
    raise ConfigError("x.yaml", [ConfigProblem("kpis[0].owner", "unknown person", 3)])


def bug(args: argparse.Namespace, context: CliContext) -> int:
    raise RuntimeError("a bug, not the user's mistake")


def _name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name")


DECLARED = (
    Group("tools", "Tools."),
    Command("tools deep ok", "Succeeds.", f"{HERE}:ok", _name, json=True),
    Command("async", "Succeeds later.", f"{HERE}:ok_async", config=False),
    Command("usage", "Bad argument.", f"{HERE}:usage"),
    Command("server", "Server down.", f"{HERE}:server"),
    Command("config", "Bad config.", f"{HERE}:config"),
    Command("bug", "A bug.", f"{HERE}:bug"),
    Command("lazy", "Never run.", "no.such.module:handler"),
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(DECLARED, argv, starter.context())
    out, err = capsys.readouterr()
    return code, out, err


def test_grouped_command_gets_its_arguments_and_flags(capsys: pytest.CaptureFixture[str]) -> None:
    """`tools deep ok` nests two groups; it has --config, --json and its own arguments."""
    code, out, _ = run(capsys, "tools", "deep", "ok", "x", "--config", "c.yaml", "--json")
    assert (0, "ok x config=c.yaml json=True\n") == (code, out)


def test_async_handler_is_run_to_its_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    """A coroutine handler is awaited; its return value is the exit code."""
    assert 7 == run(capsys, "async")[0]


def test_flags_are_only_where_declared(capsys: pytest.CaptureFixture[str]) -> None:
    """A command declared without config has no --config: a usage error, on one line."""
    code, _, err = run(capsys, "async", "--config", "x.yaml")
    assert (2, 1) == (code, len(err.splitlines()))
    assert err.startswith("opsrhythm: unrecognized arguments: --config x.yaml")


@pytest.mark.parametrize(
    ("command", "code", "message"),
    [
        ("usage", 2, "opsrhythm: --name: no such thing\n"),
        ("server", 1, "opsrhythm: cannot reach Temporal at 127.0.0.1:1\n"),
        ("config", 2, "x.yaml: kpis[0].owner (line 3): unknown person\n"),
    ],
)
def test_errors_are_one_line_with_their_exit_code(
    capsys: pytest.CaptureFixture[str], command: str, code: int, message: str
) -> None:
    """Usage and config errors exit 2, server errors 1; each is one line, no traceback."""
    assert (code, message) == run(capsys, command)[::2]


def test_parse_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """A missing argument names the command and where its help is, on one line, exit 2."""
    code, _, err = run(capsys, "tools", "deep", "ok")
    assert (2, "opsrhythm: tools deep ok: the following arguments are required: name ") == (
        code,
        err.split("(see")[0],
    )


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    """--help prints the commands and returns 0 instead of exiting the process."""
    code, out, _ = run(capsys, "--help")
    assert (0, True, True) == (code, "tools" in out, "async" in out)


def test_a_bug_is_not_hidden(capsys: pytest.CaptureFixture[str]) -> None:
    """An error that is nobody's mistake but ours keeps its traceback."""
    with pytest.raises(RuntimeError, match="a bug"):
        run(capsys, "bug")


def test_handlers_are_imported_only_to_run() -> None:
    """Building the parser never imports a handler's module (this one does not exist)."""
    args = cli.build_parser(DECLARED).parse_args(["lazy"])
    assert "no.such.module:handler" == args.cli_command.handler


@pytest.mark.parametrize(
    "declared",
    [
        (Command("status", "One.", f"{HERE}:ok"), Command("status", "Two.", f"{HERE}:ok")),
        (Command("schedule", "A leaf.", f"{HERE}:ok"), Command("schedule sync", ".", f"{HERE}:ok")),
        (Command("schedule sync", ".", f"{HERE}:ok"), Command("schedule", "A leaf.", f"{HERE}:ok")),
    ],
)
def test_a_name_claimed_twice_is_refused(declared: tuple[Command, ...]) -> None:
    """Two modules cannot both own a command (or a command and a group) by accident."""
    with pytest.raises(ValueError, match=r"command '(schedule|status)"):
        cli.build_parser(declared)


def test_every_declared_handler_exists() -> None:
    """Each command's ``module:function`` names a function, so no typo waits for a user."""
    commands = [d for d in starter.commands() if isinstance(d, Command)]
    assert [] == [c.handler for c in commands if not callable(load(c.handler))]


def test_every_ritual_kind_contributes_its_commands() -> None:
    """The KPI report brings `preview` and feedback triage its `feedback ...` commands."""
    names = {d.name for d in starter.commands() if isinstance(d, Command)}
    assert {"preview", "feedback list", "feedback rules test"} <= names


HEAVY = ("pydantic", "temporalio", "rich", "sqlalchemy", "yaml", "jinja2", "starlette")


def test_building_the_parser_imports_nothing_heavy() -> None:
    """`opsrhythm --help` stays fast: no heavy library is imported to build the parser."""
    probe = (
        "import json, sys, starter; starter.build_parser(); "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert [] == json.loads(done.stdout)


def test_output_into_a_closed_pipe_exits_quietly() -> None:
    """`opsrhythm config schema | head -1`: the reader leaves early; no traceback, exit 141
    (the shell's code for SIGPIPE), as for any command whose reader stopped."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run(
            [sys.executable, "-c", "import starter, sys; sys.exit(starter.main())", "config",
             "schema"],
            cwd=REPO, stdout=writer, stderr=subprocess.PIPE, text=True, timeout=60,
        )  # fmt: skip
    finally:
        os.close(writer)
    assert (cli.EXIT_BROKEN_PIPE, "") == (done.returncode, done.stderr)
