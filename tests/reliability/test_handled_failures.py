"""A failure the code handles is one line that says why; a bug keeps its traceback."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.exceptions import ActivityError, ApplicationError, RetryState

from opsrhythm.platform.failures import quiet_handled_failures
from tests.conftest import EXAMPLE_CONFIG
from tests.databases import sqlite_url

MISSING = "product_metrics.csv"


@pytest.mark.dev_server
def test_run_wait_with_a_failing_source_prints_no_traceback(tmp_path: Path) -> None:
    """`opsrhythm run --wait` (embedded server, in-process worker) with one KPI source missing:
    the report goes out without it, and stderr says why in single lines, no traceback."""
    shutil.copytree(EXAMPLE_CONFIG.parent, tmp_path / "acme")
    (tmp_path / "acme" / MISSING).unlink()
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TEMPORAL_ADDRESS", "SENDGRID_API_KEY", "PYTHONPATH")
    }
    environment |= {
        "OPSRHYTHM_CONFIG": str(tmp_path / "acme" / EXAMPLE_CONFIG.name),
        "OPSRHYTHM_DATABASE_URL": sqlite_url(tmp_path / "opsrhythm.db"),
        "OPSRHYTHM_OUTBOX": str(tmp_path / "outbox"),
        "OPSRHYTHM_ARCHIVE": str(tmp_path / "archive"),
    }
    argv = ["run", "monthly-kpi-report", "--period", "2026-10", "--wait"]
    done = subprocess.run(
        [sys.executable, "-c", f"import sys, starter; sys.exit(starter.main({argv!r}))"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert 0 == done.returncode, done.stderr
    assert "Traceback" not in done.stderr
    assert "Activity task failed" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if f"{MISSING}: No such file" in line]
    assert lines, done.stderr


@pytest.fixture
def activity_log(caplog: pytest.LogCaptureFixture) -> logging.LoggerAdapter[logging.Logger]:
    """The SDK's activity logger, as the worker has it."""
    quiet_handled_failures()
    caplog.set_level(logging.WARNING, logger="temporalio")
    return logging.LoggerAdapter(logging.getLogger("temporalio.activity"))


def _log_failure(log: logging.LoggerAdapter[logging.Logger], error: Exception) -> None:
    try:
        raise error
    except Exception:
        log.warning("Completing activity as failed", exc_info=True)


def test_an_application_error_is_logged_as_one_line_with_its_message(
    activity_log: logging.LoggerAdapter[logging.Logger], caplog: pytest.LogCaptureFixture
) -> None:
    _log_failure(activity_log, ApplicationError("SendGrid answered 401: bad key", type="Auth"))
    [record] = caplog.records
    assert record.exc_info is None
    expected = "Completing activity as failed: Auth: SendGrid answered 401: bad key"
    assert expected == record.getMessage()


def test_an_unexpected_exception_keeps_its_traceback(
    activity_log: logging.LoggerAdapter[logging.Logger], caplog: pytest.LogCaptureFixture
) -> None:
    _log_failure(activity_log, KeyError("no such person"))
    [record] = caplog.records
    assert record.exc_info is not None
    assert "Traceback" in caplog.text


def test_a_workflow_logging_an_activity_error_names_its_cause(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Not "Activity task failed": what the activity said."""
    quiet_handled_failures()
    caplog.set_level(logging.WARNING, logger="temporalio")
    error = ActivityError(
        "Activity task failed",
        scheduled_event_id=1,
        started_event_id=2,
        identity="worker",
        activity_type="gather_source",
        activity_id="3",
        retry_state=RetryState.NON_RETRYABLE_FAILURE,
    )
    error.__cause__ = ApplicationError("warehouse: connection refused", type="SourceError")
    logging.getLogger("temporalio.workflow").warning("Source %s failed: %s", "warehouse", error)
    [record] = caplog.records
    assert "Source warehouse failed: warehouse: connection refused" == record.getMessage()
