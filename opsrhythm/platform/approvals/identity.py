"""Who is calling: the Temporal identity OpsRhythm's clients connect with, and whom the CLI
may decide as.

Temporal records the identity of the client that sent each Update in the run's history, where
no payload can change it; the audit trail shows that (``approvals.client``), not the channel a
caller claims. The CLI connects as ``opsrhythm <command> <os user>@<host>``, so the web server
is ``opsrhythm web …``. Anyone with access to the namespace can still send any Update under an
identity of their choosing: Temporal access is full control, and the identity is a record.

``approvals.cli_users`` (OS user -> person) narrows the CLI: ``--as`` must then be the person
mapped to the OS user running it. It guards against slips in a shared shell, not against
someone who can edit the config or reach Temporal directly.

Imported by the CLI shell while it builds the parser, so it stays free of heavy imports.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Mapping

from opsrhythm.platform.cli_errors import UsageError

CLI_USERS = "approvals.cli_users"


def os_user() -> str:
    """The OS account running this process, as ``cli_users`` names it."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in the environment nor the password database
        return f"uid-{os.getuid()}"


def cli_identity(command: str) -> str:
    """The Temporal client identity of ``opsrhythm <command>`` run by this OS user here."""
    return f"opsrhythm {command} {os_user()}@{socket.gethostname()}"


def acting_as(
    asked: str | None, cli_users: Mapping[str, str] | None, user: str, *, required: bool = True
) -> str | None:
    """The email the CLI acts as: ``--as`` (``asked``), checked against ``cli_users`` (OS user
    -> email) when the config has it, which also fills it in when omitted.

    With ``required`` false (the owner's ``redraft``) an unmapped user without ``--as`` is None:
    the caller falls back to the client identity.
    """
    if not cli_users:
        if asked is None and required:
            raise UsageError(f"--as EMAIL is required (no {CLI_USERS} in the config names you)")
        return asked
    mine = cli_users.get(user)
    if mine is None:
        if asked is None and not required:
            return None
        raise UsageError(f"refused: {CLI_USERS} maps no person to OS user {user!r}")
    if asked is not None and asked.strip().lower() != mine.lower():
        raise UsageError(
            f"refused: OS user {user!r} acts as {mine} ({CLI_USERS}), not as {asked.strip()}"
        )
    return mine
