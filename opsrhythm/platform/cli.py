"""The CLI shell: commands declared as data, the parser built from them, and the runner.

A ``Command`` names its handler as ``"module:function"``, imported only when that command runs:
building the parser (``opsrhythm --help``) imports the light modules that declare commands and
nothing they need to run (pydantic, temporalio, rich, SQLAlchemy). The app (``starter.py``)
collects the platform's declarations, its own and every ritual kind's (``RitualKind.commands``),
and hands each handler a ``CliContext``: that is how platform handlers reach the config loader
and the worker without importing the app above them.

The runner turns every error a user can act on into one line on stderr: exit 2 for a bad
argument or config, 1 for a server that is down or refuses (``cli_errors``); never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
import sys
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn, Protocol, TypeAlias

from opsrhythm.platform.approvals.identity import cli_identity
from opsrhythm.platform.cli_errors import CommandError, ServerError, UsageError
from opsrhythm.platform.config_errors import ConfigError
from opsrhythm.platform.ritual_kind import RitualKind, load

if TYPE_CHECKING:
    from pathlib import Path

    from temporalio.client import Client

    from opsrhythm.platform.config import PlatformConfig
    from opsrhythm.platform.temporal_runtime import WorkerFactory

PROG = "opsrhythm"
EXIT_USAGE = UsageError.exit_code
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
"""Output piped into a reader that stopped early (``| head``): the shell's code for SIGPIPE."""
CONFIG_HELP = "config file (default: $OPSRHYTHM_CONFIG or ./opsrhythm.yaml)"
JSON_HELP = "print one JSON document to stdout instead of text (fields: see the README)"


@dataclass(frozen=True)
class Command:
    name: str
    """Its words on the command line: ``validate``, ``schedule sync``, ``feedback rules test``."""
    help: str
    handler: str
    """``module:function`` taking ``(args, context)`` and returning the exit code (or a coroutine
    that does, run with ``asyncio.run``)."""
    arguments: Callable[[argparse.ArgumentParser], None] | None = None
    config: bool = True
    """Adds ``--config FILE``."""
    json: bool = False
    """Adds ``--json``: one JSON document on stdout instead of the text."""


@dataclass(frozen=True)
class Group:
    """The help line of a group of commands, such as ``schedule`` or ``feedback rules``."""

    name: str
    help: str


Declaration: TypeAlias = Command | Group
Handler: TypeAlias = Callable[[argparse.Namespace, "CliContext"], "int | Awaitable[int]"]


class ConfigSource(Protocol):
    """The app's config loader, imported by the app only when a command asks for the config."""

    def path(self, explicit: str | None) -> Path: ...

    def load(self, explicit: str | None, *, check_calendars: bool = False) -> PlatformConfig: ...


async def _connect(identity: str | None = None) -> Client:
    from opsrhythm.platform.temporal_runtime import connect

    return await connect(identity=identity)


@dataclass(frozen=True)
class CliContext:
    """What the app hands every handler; tests replace any part (``connect``: a test client)."""

    configs: ConfigSource
    kinds: Sequence[RitualKind]
    """Every installed ritual kind (``opsrhythm.registry.RITUAL_KINDS``)."""
    worker_factory: WorkerFactory
    connect: Callable[[], Awaitable[Client]] = _connect
    identity: str = ""
    """Who this process is to Temporal, ``opsrhythm <command> <os user>@<host>``, once a command
    runs (``running``); the server records it with every call, and the audit trail shows it."""

    def running(self, command: Command) -> CliContext:
        """This context for one command: the default ``connect`` connects as its identity (a
        test's own ``connect`` is kept, with the client it made)."""
        identity = cli_identity(command.name)
        connect = (
            functools.partial(_connect, identity) if self.connect is _connect else self.connect
        )
        return dataclasses.replace(self, identity=identity, connect=connect)

    def config(self, args: argparse.Namespace, *, check_calendars: bool = False) -> PlatformConfig:
        """The file ``--config`` names (else the default), loaded and checked."""
        return self.configs.load(getattr(args, "config", None), check_calendars=check_calendars)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, like every other error, instead of argparse's usage block.
        words = self.prog.removeprefix(PROG).strip()
        where = f"{words}: " if words else ""
        self.exit(EXIT_USAGE, f"{PROG}: {where}{message} (see: {self.prog} --help)\n")


def build_parser(declarations: Iterable[Declaration]) -> argparse.ArgumentParser:
    """One parser for every command; a name declared twice is a programming error."""
    declared = list(declarations)
    group_help = {tuple(d.name.split()): d.help for d in declared if isinstance(d, Group)}
    parser = _Parser(prog=PROG, description="Product-ops rituals, run durably on Temporal.")
    branches: dict[tuple[str, ...], argparse._SubParsersAction[_Parser]] = {
        (): parser.add_subparsers(metavar="COMMAND", required=True)
    }
    leaves: set[tuple[str, ...]] = set()
    for command in (d for d in declared if isinstance(d, Command)):
        words = tuple(command.name.split())
        if words in leaves or words in branches:
            raise ValueError(f"command {command.name!r} is declared twice")
        for depth in range(1, len(words)):
            prefix = words[:depth]
            if prefix in leaves:
                raise ValueError(f"command {command.name!r} is under command {' '.join(prefix)!r}")
            if prefix not in branches:
                text = group_help.get(prefix, "")
                group = branches[prefix[:-1]].add_parser(prefix[-1], help=text, description=text)
                branches[prefix] = group.add_subparsers(metavar="SUBCOMMAND", required=True)
        leaf = branches[words[:-1]].add_parser(
            words[-1], help=command.help, description=command.help
        )
        leaves.add(words)
        if command.config:
            leaf.add_argument("--config", metavar="FILE", help=CONFIG_HELP)
        if command.json:
            leaf.add_argument("--json", action="store_true", help=JSON_HELP)
        if command.arguments is not None:
            command.arguments(leaf)
        leaf.set_defaults(cli_command=command)
    return parser


def handler_of(args: argparse.Namespace) -> Handler:
    command: Command = args.cli_command
    handler: Handler = load(command.handler)
    return handler


def _run(args: argparse.Namespace, context: CliContext) -> int | Awaitable[int]:
    command: Command = args.cli_command
    return handler_of(args)(args, context.running(command))


def main(
    declarations: Iterable[Declaration], argv: Sequence[str] | None, context: CliContext
) -> int:
    """Parse ``argv``, run the command's handler, and return its exit code."""
    try:
        args = build_parser(declarations).parse_args(argv)
        outcome = _run(args, context)
        if isinstance(outcome, int):
            code = outcome
        else:
            import asyncio  # only the commands that talk to a server pay for it

            code = asyncio.run(_awaited(outcome))
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return code
    except BaseException as error:  # _exit_code re-raises what is not the user's to fix
        return _exit_code(error)


async def main_async(
    declarations: Iterable[Declaration], argv: Sequence[str], context: CliContext
) -> int:
    """``main`` for a caller already in an event loop, such as a test with its own client."""
    try:
        args = build_parser(declarations).parse_args(argv)
        outcome = _run(args, context)
        return outcome if isinstance(outcome, int) else await outcome
    except BaseException as error:  # _exit_code re-raises what is not the user's to fix
        return _exit_code(error)


async def _awaited(outcome: Awaitable[int]) -> int:
    return await outcome


def _exit_code(error: BaseException) -> int:
    """Print what the user can act on as one line and return the code; re-raise the rest."""
    if isinstance(error, SystemExit):  # --help, or a parse error already printed
        return EXIT_USAGE if isinstance(error.code, str) else error.code or 0
    if isinstance(error, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(error, BrokenPipeError):
        # What is still buffered would fail again when the interpreter flushes at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    if isinstance(error, ConfigError):
        print(str(error), file=sys.stderr)  # one line per problem, each with its path
        return EXIT_USAGE
    refusal = _server_refusal(error)
    shown = error if refusal is None else ServerError(f"the Temporal server refused: {refusal}")
    if not isinstance(shown, CommandError):
        raise error
    print(f"{PROG}: {shown}", file=sys.stderr)
    return shown.exit_code


def _server_refusal(error: BaseException) -> str | None:
    # Without temporalio imported, no command talked to a server: nothing to import to check.
    service = sys.modules.get("temporalio.service")
    if service is not None and isinstance(error, service.RPCError):
        return str(error.message)
    return None
