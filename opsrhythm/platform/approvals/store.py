"""Which approval links have been used: a row per link nonce, so a link decides at most once.

Lives in the same database as the send ledger (``OPSRHYTHM_DATABASE_URL``). A link is claimed
before its decision is sent to Temporal; if Temporal cannot be reached the claim is released
so the approver can try again, and any other outcome leaves the link spent.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from opsrhythm.platform.db.startup import open_engine

DEFAULT_TABLE = "opsrhythm_approval_links"


class UsedLinks:
    def __init__(self, engine: sa.Engine) -> None:
        """The store on ``engine``, whose schema Alembic keeps (``opsrhythm.platform.db``)."""
        self.engine = engine
        self.table = sa.Table(
            DEFAULT_TABLE,
            sa.MetaData(),
            sa.Column("nonce", sa.String(64), primary_key=True),
            sa.Column("workflow_id", sa.String(512), nullable=False),
            sa.Column("approver", sa.String(320), nullable=False),
            sa.Column("action", sa.String(32), nullable=False),
            sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        )

    @classmethod
    def from_url(cls, url: str) -> UsedLinks:
        """The store on ``url``, its schema checked (or made) by ``startup.open_engine``."""
        return cls(open_engine(url))

    def close(self) -> None:
        self.engine.dispose()

    def claim(self, nonce: str, workflow_id: str, approver: str, action: str) -> bool:
        """True for the first caller with this nonce; False if the link was used before."""
        row = {
            "nonce": nonce,
            "workflow_id": workflow_id,
            "approver": approver,
            "action": action,
            "used_at": datetime.now(UTC),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(sa.insert(self.table), row)
        except IntegrityError:
            return False
        return True

    def release(self, nonce: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.delete(self.table).where(self.table.c.nonce == nonce))

    def is_used(self, nonce: str) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(self.table.c.nonce).where(self.table.c.nonce == nonce))
            return found.first() is not None
