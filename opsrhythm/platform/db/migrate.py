"""Bring a database to the schema this OpsRhythm needs, or say in one line why not.

``upgrade`` applies the revisions (``opsrhythm db upgrade``); ``check`` refuses a database at
another revision; ``prepare``, which the stores' ``from_url`` call, upgrades the embedded SQLite
default (nobody else would) and checks every other database; ``startup_check`` is that for the
configured database, run by the worker and the web app before they serve. Alembic is imported
only here, and only when a function runs, so importing a store stays cheap.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import threading
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from opsrhythm.platform.cli_errors import CommandError
from opsrhythm.platform.ledger_keys import (
    DATABASE_URL_ENV,
    default_database_url,
    embedded_database_url,
)

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

__all__ = [
    "MIGRATIONS",
    "BadDatabaseUrl",
    "DatabaseNotReady",
    "DatabaseUnreachable",
    "MigrationFailed",
    "SchemaAhead",
    "SchemaBehind",
    "alembic_config",
    "check",
    "head_revision",
    "prepare",
    "startup_check",
    "upgrade",
]

MIGRATIONS = Path(__file__).resolve().with_name("migrations")
UPGRADE_COMMAND = "opsrhythm db upgrade"
# Every table OpsRhythm ever made starts with this, so tables from before migrations are known.
_TABLE_PREFIX = "opsrhythm_"
# One key for every OpsRhythm process: concurrent upgrades of a PostgreSQL database queue up.
_PG_LOCK_KEY = zlib.crc32(b"opsrhythm.platform.db.migrate")


class DatabaseNotReady(CommandError):
    """The database cannot be used as it is; the CLI prints the one-line message and exits 1."""


class BadDatabaseUrl(DatabaseNotReady):
    exit_code = 2  # a usage error: the URL itself is wrong


class DatabaseUnreachable(DatabaseNotReady):
    pass


class SchemaBehind(DatabaseNotReady):
    """Tables missing or older than this OpsRhythm's: ``opsrhythm db upgrade`` fixes it."""


class SchemaAhead(DatabaseNotReady):
    """A newer OpsRhythm upgraded the database; this one must not write to it."""


class MigrationFailed(DatabaseNotReady):
    pass


def upgrade(url: str, *, migrations: Path = MIGRATIONS) -> str:
    """Apply every revision the database lacks, adopting tables from before migrations; one
    line saying what was done. Safe to run twice, and from two processes at once."""
    from alembic import command
    from alembic.util import CommandError

    engine = _engine(url, for_upgrade=True)
    where = _shown(engine)
    try:
        with _connect(engine) as conn, conn.begin():
            _lock(conn)
            before = _current(conn)
            head = head_revision(migrations)
            _refuse_unknown(where, before, migrations)
            legacy = not before and _our_tables(conn)
            config = alembic_config(migrations)
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except (CommandError, sa.exc.DBAPIError) as error:
        raise MigrationFailed(
            f"upgrading the database {where} failed: {_first_line(error)}"
        ) from None
    finally:
        engine.dispose()
    if before == head:
        return f"{where}: already at revision {head}, the latest; nothing to do"
    if legacy:
        return f"{where}: adopted {len(legacy)} tables made before migrations; now at {head}"
    if before is None:
        return f"{where}: created the tables at revision {head}, the latest"
    return f"{where}: upgraded from revision {before} to {head}, the latest"


def check(url: str, *, migrations: Path = MIGRATIONS) -> None:
    """Raise ``SchemaBehind`` or ``SchemaAhead`` unless the database is at the latest revision."""
    engine = _engine(url)
    where = _shown(engine)
    try:
        with _connect(engine) as conn:
            current = _current(conn)
            legacy = not current and _our_tables(conn)
    except sa.exc.DBAPIError as error:
        raise DatabaseUnreachable(
            f"cannot read the database {where}: {_first_line(error)}"
        ) from None
    finally:
        engine.dispose()
    head = head_revision(migrations)
    if current == head:
        return
    _refuse_unknown(where, current, migrations)
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


def startup_check() -> None:
    """The gate of the worker and the web app: the configured database is at the latest
    revision (the embedded default is brought there), else a one-line ``DatabaseNotReady``."""
    prepare(default_database_url())


def _is_embedded_default(url: str) -> bool:
    # A configured database is upgraded by whoever runs it; the embedded file has no such person.
    return not os.environ.get(DATABASE_URL_ENV, "").strip() and url == embedded_database_url()


def _engine(url: str, *, for_upgrade: bool = False) -> sa.Engine:
    try:
        engine = sa.create_engine(url, poolclass=sa.NullPool)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as error:
        raise BadDatabaseUrl(f"bad database URL {_hidden(url)!r}: {_first_line(error)}") from None
    if for_upgrade and engine.dialect.name == "sqlite":
        _sqlite_transactional_ddl(engine)
    return engine


def _sqlite_transactional_ddl(engine: sa.Engine) -> None:
    # pysqlite neither wraps DDL in its transaction nor locks until the first write; taking
    # the write lock at BEGIN makes an upgrade atomic and makes a second upgrader wait, then
    # read the revision the first one wrote (SQLAlchemy's documented recipe).
    @sa.event.listens_for(engine, "connect")
    def _autocommit_driver(dbapi_connection: sqlite3.Connection, record: object) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin_immediate(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _connect(engine: sa.Engine) -> sa.Connection:
    try:
        return engine.connect()
    except sa.exc.DBAPIError as error:
        where = _shown(engine)
        raise DatabaseUnreachable(
            f"cannot connect to the database {where}: {_first_line(error)}"
        ) from None


def _lock(conn: sa.Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def _current(conn: sa.Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    heads = MigrationContext.configure(conn).get_current_heads()
    return heads[0] if heads else None


def _our_tables(conn: sa.Connection) -> list[str]:
    return [t for t in sa.inspect(conn).get_table_names() if t.startswith(_TABLE_PREFIX)]


def _refuse_unknown(where: str, current: str | None, migrations: Path) -> None:
    if current is None:
        return
    known = {script.revision for script in _scripts(migrations).walk_revisions()}
    if current not in known:
        raise SchemaAhead(
            f"{where}: this database was upgraded by a newer OpsRhythm (revision {current}; "
            f"this one knows up to {head_revision(migrations)}): run that version or newer"
        )


def head_revision(migrations: Path = MIGRATIONS) -> str:
    """The latest revision: what ``upgrade`` brings a database to."""
    head = _scripts(migrations).get_current_head()
    assert head is not None, f"{migrations} has no revisions"
    return head


@functools.cache
def _scripts(migrations: Path) -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(migrations))


def alembic_config(migrations: Path = MIGRATIONS) -> Config:
    """Alembic's settings, made here rather than read from an alembic.ini."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations))
    # Without it Alembic warns that it splits version_locations on spaces; there is one path.
    config.set_main_option("path_separator", "os")
    return config


def _shown(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _hidden(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url.split("@")[-1] if "@" in url else url


def _first_line(error: BaseException) -> str:
    # DBAPI errors carry the driver's message first, then SQL and a link: keep the message.
    orig = getattr(error, "orig", None)
    text = str(orig if orig is not None else error).strip()
    return text.splitlines()[0] if text else type(error).__name__
