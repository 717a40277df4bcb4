"""The database schema, owned by Alembic: every table of every store, in ``migrations/``.

Stores declare their tables for queries but never create or alter them. ``opsrhythm db upgrade``
(``migrate.upgrade``) brings a database to the latest revision; the worker and the web app
refuse to start on an older one (``startup``), and the embedded SQLite default upgrades itself.

Adding a migration (say, a column for a store):

1. Change the store's ``sa.Table``.
2. ``python -m opsrhythm.platform.db revision "add sent_by to the send ledger"`` writes
   ``migrations/versions/NNNN_<slug>.py`` after the current head.
3. Fill in ``upgrade()`` by hand with ``op.*`` calls declaring the DDL itself: a revision is
   frozen history, so it never imports a store's tables. Autogenerate is off because Alembic has
   no live metadata here (the platform may not import the rituals' stores), but
   ``tests/test_migrations.py::test_head_matches_the_stores`` compares head with every store's
   tables and prints each difference as Alembic would autogenerate it: write those ops. On
   SQLite, alter columns inside ``with op.batch_alter_table(...)``; give new NOT NULL columns a
   ``server_default`` so existing rows stay valid.
4. Run the tests (SQLite and PostgreSQL): the pre-migration fixtures must still upgrade.

Revisions go forward only: ``downgrade()`` raises, and a backup is the way back.
"""
