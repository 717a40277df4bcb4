"""Checking at start-up: refuse a database at another revision, in one line, before it is used.

``check`` refuses a database at another revision than this OpsRhythm's latest; ``prepare``
upgrades the embedded SQLite default (nobody else would) and checks every other database;
``startup_check`` is that for the configured database, run by the worker and the web app before
they serve; ``open_engine`` is how every store opens its database, and turns losing it into
``DatabaseUnreachable``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import sqlalchemy as sa

from opsrhythm.platform.db.migrate import upgrade
from opsrhythm.platform.db.schema import (
    MIGRATIONS,
    UPGRADE_COMMAND,
    DatabaseUnreachable,
    SchemaBehind,
    connect,
    connect_args,
    current_revision,
    first_line,
    head_revision,
    our_tables,
    refuse_unknown,
    shown,
    unpooled_engine,
)
from opsrhythm.platform.ledger_keys import (
    DATABASE_URL_ENV,
    default_database_url,
    embedded_database_url,
)

__all__ = ["check", "open_engine", "prepare", "startup_check"]


def check(url: str, *, migrations: Path = MIGRATIONS) -> None:
    """Raise ``SchemaBehind`` or ``SchemaAhead`` unless the database is at the latest revision."""
    engine = unpooled_engine(url)
    where = shown(engine)
    try:
        with connect(engine) as conn:
            current = current_revision(conn)
            legacy = not current and our_tables(conn)
    except sa.exc.DBAPIError as error:
        raise DatabaseUnreachable(
            f"cannot read the database {where}: {first_line(error)}"
        ) from None
    finally:
        engine.dispose()
    head = head_revision(migrations)
    if current == head:
        return
    refuse_unknown(where, current, migrations)
    if legacy:
        state = "has tables made before migrations"
    elif not current:
        state = "has no OpsRhythm tables"
    else:
        state = f"is at revision {current}, this OpsRhythm needs {head}"
    raise SchemaBehind(f"the database {where} {state}: run `{UPGRADE_COMMAND}`")


_ready: set[str] = set()
_ready_lock = threading.Lock()


def prepare(url: str) -> None:
    """Make sure a store may use ``url``: upgrade the embedded default, check any other.

    Remembered per process, so a worker opening a store per activity checks once.
    """
    with _ready_lock:
        if url in _ready:
            return
        if _is_embedded_default(url):
            upgrade(url)
        else:
            check(url)
        _ready.add(url)


def open_engine(url: str) -> sa.Engine:
    """A store's engine on ``url``, once ``prepare`` has checked (or made) its schema.

    A database lost after that (down, restarted, cut off) raises ``DatabaseUnreachable`` naming
    it, as the check would have: callers tell an outage from a bug without knowing the driver.
    """
    prepare(url)
    engine = sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args(url))
    where = shown(engine)  # the context has no engine when a pooled connection's ping fails

    def report_outage(context: sa.engine.ExceptionContext) -> None:
        if _is_outage(context):
            raise DatabaseUnreachable(
                f"lost the database {where}: {first_line(context.original_exception)}"
            ) from None

    sa.event.listen(engine, "handle_error", report_outage)
    return engine


def _is_outage(context: sa.engine.ExceptionContext) -> bool:
    if context.is_disconnect or context.connection is None:  # lost, or never connected
        return True
    if not isinstance(context.sqlalchemy_exception, sa.exc.OperationalError):
        return False
    # A server reports shutdowns, timeouts and dropped links as OperationalError; SQLite also
    # uses it for mistakes in SQL (a missing table), where only a locked file is an outage.
    return context.dialect.name != "sqlite" or "locked" in str(context.original_exception)


def startup_check() -> None:
    """The gate of the worker and the web app: the configured database is at the latest
    revision (the embedded default is brought there), else a one-line ``DatabaseNotReady``."""
    prepare(default_database_url())


def _is_embedded_default(url: str) -> bool:
    # A configured database is upgraded by whoever runs it; the embedded file has no such person.
    return not os.environ.get(DATABASE_URL_ENV, "").strip() and url == embedded_database_url()
