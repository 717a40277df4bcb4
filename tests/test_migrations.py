"""Alembic's revisions on SQLite and PostgreSQL: fresh databases, databases made before migrations
(``tests/fixtures``), the start-up refusal, a newer revision, and ``opsrhythm db upgrade``."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import produce_migrations, render_python_code
from alembic.runtime.migration import MigrationContext

import starter
from opsrhythm.platform.actions.store import ActionStore
from opsrhythm.platform.approvals.store import UsedLinks
from opsrhythm.platform.db.migrate import upgrade
from opsrhythm.platform.db.schema import (
    MIGRATIONS,
    MigrationFailed,
    SchemaAhead,
    SchemaBehind,
    head_revision,
)
from opsrhythm.platform.db.startup import check
from opsrhythm.platform.ledger import DATABASE_URL_ENV, MessageKey, SendLedger, default_database_url
from opsrhythm.rituals.feedback.ledger import FeedbackLedger
from opsrhythm.rituals.process_retro.store import RetroStore
from tests.conftest import EXAMPLE_CONFIG
from tests.databases import postgres_schema

FIXTURES = Path(__file__).parent / "fixtures"
V0_ROWS = {
    "opsrhythm_send_ledger": 3,
    "opsrhythm_approval_links": 2,
    "opsrhythm_feedback_items": 2,
    "opsrhythm_feedback_submitters": 3,
    "opsrhythm_feedback_history": 3,
    "opsrhythm_feedback_replies": 1,
    "opsrhythm_feedback_quarantine": 1,
}
LATER_TABLES = {
    "opsrhythm_actions",
    "opsrhythm_action_history",
    "opsrhythm_retro_items",
    "opsrhythm_retro_votes",
}
"""Made by revisions after 0001, so absent from databases made before migrations."""
LATER_COLUMNS = {"external_id"}
"""Added to 0001's tables by later revisions (0003: ``opsrhythm_feedback_items.external_id``)."""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'opsrhythm.db'}"
        return
    with postgres_schema(upgraded=False) as url:
        yield url


@pytest.fixture
def v0(empty: str) -> str:
    """A database as OpsRhythm made it before migrations, with rows in every table."""
    url = sa.make_url(empty)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        shutil.copyfile(FIXTURES / "opsrhythm-v0.sqlite", url.database)
    else:
        run_sql(empty, (FIXTURES / "opsrhythm-v0.postgresql.sql").read_text())
    return empty


def run_sql(url: str, script: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.connection.driver_connection.executescript(script)  # type: ignore[union-attr]
        else:
            conn.exec_driver_sql(script)
    engine.dispose()


def rows(url: str, without: set[str] = LATER_COLUMNS) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every OpsRhythm table, in key order, less the columns ``without``."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    meta = sa.MetaData()
    meta.reflect(engine, only=lambda name, _: name.startswith("opsrhythm_"))
    with engine.connect() as conn:
        found = {
            name: [
                tuple(row)
                for row in conn.execute(
                    sa.select(*(c for c in t.columns if c.name not in without)).order_by(
                        *t.primary_key
                    )
                )
            ]
            for name, t in meta.tables.items()
        }
    engine.dispose()
    return found


def schema(url: str) -> dict[str, Any]:
    """Tables with their columns (type, nullability, default), keys and indexes."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    inspector = sa.inspect(engine)
    found = {
        table: {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                for c in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), i["unique"])
                for i in inspector.get_indexes(table)
            ),
        }
        for table in sorted(inspector.get_table_names())
    }
    engine.dispose()
    return found


def store_metadata() -> sa.MetaData:
    """Every table the stores query, gathered here because the migrations may not import them."""
    engine = sa.create_engine("sqlite://")  # never connected to: the stores only declare tables
    meta = sa.MetaData()
    tables = [SendLedger(engine).table, UsedLinks(engine).table]
    stores = [
        FeedbackLedger(engine).metadata,
        ActionStore(engine).metadata,
        RetroStore(engine).metadata,
    ]
    for table in [*tables, *(t for store in stores for t in store.tables.values())]:
        table.to_metadata(meta)
    return meta


def test_fresh_database_is_created_at_the_latest_revision(empty: str) -> None:
    """An empty database gets every table, and the start-up check then passes."""
    summary = upgrade(empty)
    check(empty)
    assert (f"created the tables at revision {head_revision()}", {*V0_ROWS, "alembic_version"}) == (
        summary.partition(": ")[2].removesuffix(", the latest"),
        set(schema(empty)) - LATER_TABLES,
    )


def test_second_upgrade_changes_nothing(empty: str) -> None:
    """Upgrading an up-to-date database says so and leaves schema and rows as they were."""
    upgrade(empty)
    before = schema(empty), rows(empty)
    summary = upgrade(empty)
    assert (True, before) == (summary.endswith("nothing to do"), (schema(empty), rows(empty)))


def test_head_matches_the_stores(empty: str) -> None:
    """The latest revision makes exactly the tables the stores query; a difference is printed
    as the ops autogenerate would write, to copy into a new revision."""
    upgrade(empty)
    engine = sa.create_engine(empty, poolclass=sa.NullPool)
    with engine.connect() as conn:
        script = produce_migrations(MigrationContext.configure(conn), store_metadata())
    engine.dispose()
    assert script.upgrade_ops is not None
    assert script.upgrade_ops.is_empty(), render_python_code(script.upgrade_ops)


def test_database_from_before_migrations_is_refused_at_start_up(v0: str) -> None:
    """The worker's and web app's check names the command that fixes it."""
    with pytest.raises(SchemaBehind) as refused:
        check(v0)
    assert str(refused.value).endswith(
        "has tables made before migrations: run `opsrhythm db upgrade`"
    )


def test_empty_database_is_refused_at_start_up(empty: str) -> None:
    """A configured database nobody upgraded yet is refused in one line, not used half-made."""
    with pytest.raises(SchemaBehind) as refused:
        check(empty)
    assert str(refused.value).endswith("has no OpsRhythm tables: run `opsrhythm db upgrade`")


def test_upgrade_adopts_tables_from_before_migrations_with_their_rows(v0: str) -> None:
    """Every row survives, and the schema is then the one a fresh upgrade makes."""
    before = rows(v0)
    summary = upgrade(v0)
    after = {name: found for name, found in rows(v0).items() if name not in LATER_TABLES}
    assert (
        V0_ROWS,
        before,
        f"adopted 7 tables made before migrations; now at {head_revision()}",
    ) == (
        {name: len(found) for name, found in before.items()},
        after,
        summary.partition(": ")[2],
    )


def test_adopted_schema_matches_a_fresh_one(v0: str, tmp_path: Path) -> None:
    """Adopting keeps create_all's tables, which are exactly the ones revision 0001 makes."""
    upgrade(v0)
    if sa.make_url(v0).get_backend_name() == "sqlite":
        fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
        upgrade(fresh)
        assert schema(fresh) == schema(v0)
        return
    with postgres_schema() as fresh:
        assert schema(fresh) == schema(v0)


def test_stores_keep_working_on_an_adopted_database(v0: str) -> None:
    """After the upgrade the stores write next to the old rows (history's sequence included)."""
    upgrade(v0)
    sends, feedback = SendLedger.from_url(v0), FeedbackLedger.from_url(v0)
    failed = MessageKey("monthly-kpi-report-2026-10", "leadership", "report", "cfo@acme.test")
    claimed = sends.claim([failed]).claimed
    with feedback.engine.begin() as conn:
        feedback.record(conn, "1" * 32, "pm@acme.test", "resolved", "shipped")
    events = [event for _, event, _ in feedback.events("1" * 32)]
    sends.close()
    feedback.close()
    assert ([failed], ["routed", "acknowledged", "resolved"]) == (claimed, events)


def test_missing_tables_are_created_beside_adopted_ones(v0: str) -> None:
    """A database where only some stores ever ran gets the rest, keeping what it had."""
    run_sql(v0, "DROP TABLE opsrhythm_approval_links; DROP TABLE opsrhythm_feedback_replies;")
    kept = rows(v0)["opsrhythm_send_ledger"]
    upgrade(v0)
    check(v0)
    found = rows(v0)
    assert (kept, [], []) == (
        found["opsrhythm_send_ledger"],
        found["opsrhythm_approval_links"],
        found["opsrhythm_feedback_replies"],
    )


def test_a_foreign_table_by_our_name_stops_the_upgrade_and_changes_nothing(empty: str) -> None:
    """The upgrade runs in one transaction: tables made before the clash are rolled back."""
    run_sql(empty, "CREATE TABLE opsrhythm_feedback_quarantine (id INTEGER PRIMARY KEY);")
    with pytest.raises(MigrationFailed) as failed:
        upgrade(empty)
    assert (["opsrhythm_feedback_quarantine"], 1, True) == (
        list(schema(empty)),
        len(str(failed.value).splitlines()),
        "table opsrhythm_feedback_quarantine exists with other columns" in str(failed.value),
    )


def test_concurrent_upgrades_apply_the_revisions_once(empty: str) -> None:
    """Two processes upgrading at once (say, two workers on first start) queue on a lock."""
    start = threading.Barrier(2)
    summaries: list[str] = []

    def upgrader() -> None:
        start.wait()
        summaries.append(upgrade(empty).partition(": ")[2])

    threads = [threading.Thread(target=upgrader) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    head = head_revision()
    assert [
        f"already at revision {head}, the latest; nothing to do",
        f"created the tables at revision {head}, the latest",
    ] == sorted(summaries)


NEXT_REVISION = '''"""Revision 9999: a test's new column."""

import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("opsrhythm_approval_links", sa.Column("comment", sa.Text()))
'''


@pytest.fixture
def newer(tmp_path: Path) -> Path:
    """The migrations of a newer OpsRhythm: today's plus a 9999 adding a column."""
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "versions" / "9999_comment.py").write_text(NEXT_REVISION.format(head=head_revision()))
    return folder


def test_new_revision_reaches_an_existing_database(v0: str, newer: Path) -> None:
    """The point of migrations: a new column reaches a database that already has rows."""
    upgrade(v0)
    with pytest.raises(SchemaBehind) as refused:
        check(v0, migrations=newer)
    summary = upgrade(v0, migrations=newer)
    columns = [c[0] for c in schema(v0)["opsrhythm_approval_links"]["columns"]]
    head = head_revision()
    assert (
        f"is at revision {head}, this OpsRhythm needs 9999: run `opsrhythm db upgrade`",
        f"upgraded from revision {head} to 9999, the latest",
        "comment",
        2,
    ) == (
        str(refused.value).partition(f"{sa.make_url(v0).render_as_string()} ")[2],
        summary.partition(": ")[2],
        columns[-1],
        len(rows(v0)["opsrhythm_approval_links"]),
    )


def test_database_upgraded_by_a_newer_opsrhythm_is_refused(empty: str, newer: Path) -> None:
    """This version neither starts on nor 'upgrades' a schema it does not know."""
    upgrade(empty, migrations=newer)
    with pytest.raises(SchemaAhead) as refused:
        check(empty)
    with pytest.raises(SchemaAhead):
        upgrade(empty)
    assert "this database was upgraded by a newer OpsRhythm (revision 9999;" in str(refused.value)


def test_embedded_default_upgrades_itself_on_first_use(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With no database configured, the first store made in ./.opsrhythm creates the tables."""
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    used = UsedLinks.from_url(default_database_url())
    claimed = used.claim("nonce", "wf", "ann@acme.test", "approve")
    used.close()
    check(default_database_url())
    assert claimed


def test_store_on_a_configured_database_refuses_an_old_schema(
    v0: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only `opsrhythm db upgrade` changes a configured database, even a SQLite one."""
    monkeypatch.setenv(DATABASE_URL_ENV, v0)
    before = schema(v0)
    with pytest.raises(SchemaBehind):
        SendLedger.from_url(default_database_url())
    assert before == schema(v0)


def test_db_upgrade_command_prints_one_line(empty: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`opsrhythm db upgrade --database-url URL` says what it did in one line on stdout."""
    code = starter.main(["db", "upgrade", "--database-url", empty])
    out, err = capsys.readouterr()
    assert (0, 1, "") == (code, len(out.splitlines()), err)


def test_db_upgrade_command_defaults_to_the_configured_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without --database-url it upgrades $OPSRHYTHM_DATABASE_URL, the database the worker uses."""
    url = f"sqlite:///{tmp_path / 'configured.db'}"
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    assert 0 == starter.main(["db", "upgrade"])
    check(url)


@pytest.mark.parametrize(
    ("url", "code", "says"),
    [
        ("not a url", 2, "opsrhythm: bad database URL 'not a url': "),
        ("nosuchdb://x", 2, "opsrhythm: bad database URL 'nosuchdb://x': "),
        (
            "postgresql+psycopg://ops:s3cret@127.0.0.1:1/ops",
            1,
            "opsrhythm: cannot connect to the database postgresql+psycopg://ops:***@127.0.0.1:1",
        ),
        ("sqlite:////nonexistent-folder/x.db", 1, "opsrhythm: cannot connect to the database"),
    ],
)
def test_db_upgrade_command_fails_in_one_line(
    url: str, code: int, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad URL exits 2 and an unreachable database 1: one line, no password, no traceback."""
    exit_code = starter.main(["db", "upgrade", "--database-url", url])
    err = capsys.readouterr().err
    assert (code, 1, True, False) == (
        exit_code,
        len(err.splitlines()),
        err.startswith(says),
        "s3cret" in err,
    )


def test_worker_refuses_to_start_on_an_old_schema(
    v0: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before it connects to Temporal, the worker names the command that fixes the database."""
    monkeypatch.setenv(DATABASE_URL_ENV, v0)
    code = starter.main(["worker", "--config", str(EXAMPLE_CONFIG)])
    err = capsys.readouterr().err
    assert (1, 1, True) == (code, len(err.splitlines()), err.endswith("`opsrhythm db upgrade`\n"))


def test_web_app_refuses_to_start_on_an_old_schema(
    v0: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`opsrhythm web` refuses in one line too, before it serves a link it could not record."""
    monkeypatch.chdir(tmp_path)  # no ./opsrhythm.yaml: approvals only, no config needed
    monkeypatch.setenv(DATABASE_URL_ENV, v0)
    monkeypatch.setenv("OPSRHYTHM_SECRET", "a-test-secret-of-32-characters!!")
    code = starter.main(["web"])
    err = capsys.readouterr().err
    assert (1, 1, True) == (code, len(err.splitlines()), err.endswith("`opsrhythm db upgrade`\n"))


@pytest.mark.timeout(30)  # without the check, the in-process worker retried for minutes
@pytest.mark.parametrize(
    "argv",
    [
        ["run", "monthly-kpi-report", "--period", "2026-09", "--wait"],
        ["feedback", "import", str(EXAMPLE_CONFIG.parent / "feedback.csv")],
    ],
    ids=["run --wait", "feedback import"],
)
def test_in_process_worker_refuses_a_database_never_upgraded(
    argv: list[str],
    empty: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With no TEMPORAL_ADDRESS a command runs its own worker, which checks the database as
    `opsrhythm worker` does: one line naming the fix, before any server is started."""
    monkeypatch.delenv("TEMPORAL_ADDRESS", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPSRHYTHM_OUTBOX", str(tmp_path / "outbox"))
    monkeypatch.setenv("OPSRHYTHM_ARCHIVE", str(tmp_path / "archive"))
    monkeypatch.setenv(DATABASE_URL_ENV, empty)
    code = starter.main([*argv, "--config", str(EXAMPLE_CONFIG)])
    out, err = capsys.readouterr()
    assert (1, 1, True) == (code, len(err.splitlines()), err.endswith("`opsrhythm db upgrade`\n"))
    assert "embedded server" not in out
    assert not (tmp_path / "outbox").exists()
