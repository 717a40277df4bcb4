"""Fresh databases for tests, made the way production makes them: by ``migrate.upgrade``.

Stores no longer create their tables, so a test's database is upgraded first (~10 ms for a
SQLite file). On PostgreSQL each test gets its own schema, named in the URL's search_path so
the stores and Alembic use it unqualified, and dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from opsrhythm.platform.db.migrate import upgrade

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def sqlite_url(path: Path) -> str:
    """The URL of a SQLite file at ``path``, upgraded to the latest revision."""
    url = f"sqlite:///{path}"
    upgrade(url)
    return url


@contextmanager
def postgres_schema(*, upgraded: bool = True) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL schema (upgraded unless asked not to), dropped after."""
    name = f"opsrhythm_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL, poolclass=sa.NullPool)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {name}"))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{name}"
    try:
        if upgraded:
            upgrade(url)
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {name} CASCADE"))
        admin.dispose()
