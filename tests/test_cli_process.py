"""`opsrhythm` as its own process: what it imports, and the exit codes it ends with."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.conftest import EXAMPLE_CONFIG, REPO

SCRIPT = Path(sys.executable).parent / "opsrhythm"
# The console script's own code when it is not installed (it is in CI: pip install -e).
SHIM = [sys.executable, "-c", "import sys, starter; sys.exit(starter.main())"]
DATABASE_ONLY = [
    ["feedback", "import", "--in-process", str(EXAMPLE_CONFIG.parent / "feedback.csv")],
    ["feedback", "list"],
    ["feedback", "list", "--breaching", "--json"],
    ["feedback", "quarantine"],
    ["feedback", "quarantine", "--json"],
    ["feedback", "submit", "--text", "Refund please", "--from", "a@acme.test"],
    ["feedback", "rules", "test", "Refund the invoice"],
    ["feedback", "merge", "fb-nothing", "--into", "fb-nowhere"],
    ["validate"],
    ["ledger", "unknown"],
    ["ledger", "unknown", "--json"],
    ["ledger", "resolve", "no-such-run", "--resend"],
]
# Exit codes other than 0: a merge of unknown items, a resolve with nothing to settle.
EXIT_CODES = {"merge": 2, "resolve": 1}
# Each command in turn in one process; after each: its exit code and whether temporalio is loaded.
PROBE = """
import json, sys, starter
for argv in json.loads(sys.argv[1]):
    code = starter.main(argv)
    print(json.dumps([argv[:2], code, "temporalio" in sys.modules]), file=sys.stderr)
"""


def test_database_commands_never_load_temporal(tmp_path: Path) -> None:
    """Intake in-process, the views, merges, validate and the ledger commands run without
    importing temporalio."""
    environment = {
        k: v for k, v in os.environ.items() if k not in ("OPSRHYTHM_DATABASE_URL", "PYTHONPATH")
    }
    environment["OPSRHYTHM_CONFIG"] = str(EXAMPLE_CONFIG)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(DATABASE_ONLY)],
        cwd=tmp_path,  # the default database: a fresh SQLite file here
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    reports = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("[")]
    expected = [[argv[:2], EXIT_CODES.get(argv[:2][-1], 0), False] for argv in DATABASE_ONLY]
    assert expected == reports, done.stderr


@pytest.mark.dev_server
def test_client_commands_exit_with_their_own_code(
    dev_server_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """50 short client commands as processes: each ends with its own code, never an abort.

    sdk-python #300: without the console script's early exit, some of them die at interpreter
    shutdown with "Fatal Python error: PyGILState_Release" (134) or a segfault (139).
    """
    command = [str(SCRIPT)] if SCRIPT.exists() else SHIM
    environment = dict(os.environ)
    environment["TEMPORAL_ADDRESS"] = dev_server_env.client.service_client.config.target_host

    def exit_code(argv: list[str]) -> int:
        done = subprocess.run(
            [*command, *argv], cwd=REPO, env=environment, capture_output=True, timeout=60
        )
        return done.returncode

    # pending exits 1 while the shared server holds runs no worker answers (left by other tests).
    pending = exit_code(["pending"])
    assert pending in (0, 1)
    runs = [(["pending"], pending), (["approve", "no-such-run", "--as", "dev@acme.example"], 1)]
    runs *= 25
    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(exit_code, [argv for argv, _ in runs]))
    assert [code for _, code in runs] == codes
