"""Where a database stands against this OpsRhythm's revisions, for ``migrate`` and ``startup``.

The revisions in ``migrations/`` and their head, a database's current revision and any tables it
has from before migrations, and the one-line ``DatabaseNotReady`` errors both upgrading
(``migrate``) and checking at start-up (``startup``) raise. Alembic is imported only when a
function runs, so importing a store stays cheap.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from opsrhythm.platform.cli_errors import CommandError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

__all__ = [
    "CONNECT_TIMEOUT_SECONDS",
    "MIGRATIONS",
    "UPGRADE_COMMAND",
    "BadDatabaseUrl",
    "DatabaseNotReady",
    "DatabaseUnreachable",
    "MigrationFailed",
    "SchemaAhead",
    "SchemaBehind",
    "alembic_config",
    "connect",
    "connect_args",
    "current_revision",
    "first_line",
    "head_revision",
    "our_tables",
    "refuse_unknown",
    "shown",
    "unpooled_engine",
]

MIGRATIONS = Path(__file__).resolve().with_name("migrations")
UPGRADE_COMMAND = "opsrhythm db upgrade"
CONNECT_TIMEOUT_SECONDS = 5
"""How long one attempt to reach a database server may take before it counts as unreachable.

Without it a server that drops packets (rather than refusing) holds each attempt for the
operating system's TCP timeout, about two minutes, and an activity's retries multiply that."""
# Every table OpsRhythm ever made starts with this, so tables from before migrations are known.
_TABLE_PREFIX = "opsrhythm_"


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


def unpooled_engine(url: str) -> sa.Engine:
    """An engine for one check or one upgrade; a bad URL is ``BadDatabaseUrl``."""
    try:
        return sa.create_engine(url, poolclass=sa.NullPool, connect_args=connect_args(url))
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as error:
        raise BadDatabaseUrl(f"bad database URL {_hidden(url)!r}: {first_line(error)}") from None


def connect_args(url: str | sa.URL) -> dict[str, object]:
    """The driver options every engine gets: a server database times out connecting after
    ``CONNECT_TIMEOUT_SECONDS`` unless its URL sets its own ``connect_timeout``. (SQLite's
    driver already waits at most 5 s for a locked file.)"""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "postgresql" or "connect_timeout" in parsed.query:
        return {}
    return {"connect_timeout": CONNECT_TIMEOUT_SECONDS}


def connect(engine: sa.Engine) -> sa.Connection:
    try:
        return engine.connect()
    except sa.exc.DBAPIError as error:
        where = shown(engine)
        raise DatabaseUnreachable(
            f"cannot connect to the database {where}: {first_line(error)}"
        ) from None


def current_revision(conn: sa.Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    heads = MigrationContext.configure(conn).get_current_heads()
    return heads[0] if heads else None


def our_tables(conn: sa.Connection) -> list[str]:
    return [t for t in sa.inspect(conn).get_table_names() if t.startswith(_TABLE_PREFIX)]


def refuse_unknown(where: str, current: str | None, migrations: Path) -> None:
    """Raise ``SchemaAhead`` if the database is at a revision these migrations do not know."""
    if current is None:
        return
    known = {script.revision for script in _scripts(migrations).walk_revisions()}
    if current not in known:
        raise SchemaAhead(
            f"{where}: this database was upgraded by a newer OpsRhythm (revision {current}; "
            f"this one knows up to {head_revision(migrations)}): run that version or newer"
        )


def head_revision(migrations: Path = MIGRATIONS) -> str:
    """The latest revision: what ``migrate.upgrade`` brings a database to."""
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


def shown(engine: sa.Engine) -> str:
    """The database as messages name it: its URL without the password."""
    return engine.url.render_as_string(hide_password=True)


def _hidden(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url.split("@")[-1] if "@" in url else url


def first_line(error: BaseException) -> str:
    """An error's message on one line."""
    # DBAPI errors carry the driver's message first, then SQL and a link: keep the message.
    orig = getattr(error, "orig", None)
    text = str(orig if orig is not None else error).strip()
    return text.splitlines()[0] if text else type(error).__name__
