"""Upgrading: bring a database to the latest revision (``opsrhythm db upgrade``).

``upgrade`` applies the revisions the database lacks, adopting tables made before migrations,
and says in one line what it did. It is safe to run twice and from two processes at once: the
upgrade is one transaction holding a lock. Checking a database before use is ``startup``'s.
Alembic is imported only when ``upgrade`` runs, so importing this module stays cheap.
"""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

import sqlalchemy as sa

from opsrhythm.platform.db.schema import (
    MIGRATIONS,
    MigrationFailed,
    alembic_config,
    connect,
    current_revision,
    first_line,
    head_revision,
    our_tables,
    refuse_unknown,
    shown,
    unpooled_engine,
)

__all__ = ["upgrade"]

# One key for every OpsRhythm process: concurrent upgrades of a PostgreSQL database queue up.
_PG_LOCK_KEY = zlib.crc32(b"opsrhythm.platform.db.migrate")


def upgrade(url: str, *, migrations: Path = MIGRATIONS) -> str:
    """Apply every revision the database lacks, adopting tables from before migrations; one
    line saying what was done. Safe to run twice, and from two processes at once."""
    from alembic import command
    from alembic.util import CommandError

    engine = unpooled_engine(url)
    if engine.dialect.name == "sqlite":
        _sqlite_transactional_ddl(engine)
    where = shown(engine)
    try:
        with connect(engine) as conn, conn.begin():
            _lock(conn)
            before = current_revision(conn)
            head = head_revision(migrations)
            refuse_unknown(where, before, migrations)
            legacy = not before and our_tables(conn)
            config = alembic_config(migrations)
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except (CommandError, sa.exc.DBAPIError) as error:
        raise MigrationFailed(
            f"upgrading the database {where} failed: {first_line(error)}"
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


def _lock(conn: sa.Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
