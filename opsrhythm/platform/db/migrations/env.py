"""Alembic's environment: run the revisions on the connection ``migrate.py`` hands over.

``migrate.upgrade`` opens the connection, begins the transaction and takes the migration lock
before Alembic reads the current revision, so this file only configures and runs. There is no
target metadata: revisions declare their own DDL, so autogenerate is off (see
``opsrhythm.platform.db``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

connection = context.config.attributes.get("connection")
if not isinstance(connection, sa.Connection):
    raise RuntimeError("run migrations through opsrhythm.platform.db.migrate, not the alembic CLI")
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
