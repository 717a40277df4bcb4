"""Alembic's script directory: ``env.py`` and the revisions in ``versions/`` (frozen history)."""
