"""The world a crash test runs in: its files, its processes, the CLI, and what was delivered.

A copy of the example config with an ``everyone`` audience of N generated members, an approval
step (dev or chloe) and one deliberately slow warehouse KPI (a recursive count of ~1 s over the
13 months read), so that a kill can land inside gather; a generated feedback file; a SQLite
database upgraded as ``opsrhythm db upgrade`` does; the fake SendGrid behind a ``SendGridGate``;
a dev server on a file; and the real ``opsrhythm worker``. Everything the operator does goes
through the ``opsrhythm`` CLI.
"""

from __future__ import annotations

import asyncio
import csv
import random
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from opsrhythm.config_loader import load_config
from opsrhythm.platform.ledger_keys import MessageKey
from opsrhythm.rituals.feedback.intake import read_file
from opsrhythm.rituals.feedback.ledger import FeedbackLedger
from tests.conftest import EXAMPLE_CONFIG
from tests.databases import sqlite_url
from tests.fake_sendgrid import DEFAULT_API_KEY, FakeSendGrid
from tests.reliability.sendgrid_gate import SendGridGate
from tests.reliability.worker_process import (
    DevServer,
    WorkerProcess,
    opsrhythm_command,
    worker_environment,
)

RITUAL = "monthly-kpi-report"
PERIOD = "2026-10"
APPROVERS = {"dev": "dev.patel@acme.example", "chloe": "chloe.dubois@acme.example"}
APPROVAL_REQUEST = ("approval", "approval-request-r1")
SLOW_KPI_QUERY = (
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 250000) "
    "SELECT COUNT(*) FROM n WHERE :period IS NOT NULL"
)
CLI_SECONDS = 120.0
# Notices and approval emails are keyed once per run: their kind ends with the run id.
RUN_SUFFIX = re.compile(r"-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")


def message_kind(sent: str) -> str:
    """The kind without its run id: 'approval-request-r1-<run id>' is 'approval-request-r1'."""
    return RUN_SUFFIX.sub("", sent)


def write_config(path: Path, recipients: int, *, slow_gather: bool = True) -> None:
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    for source in config["sources"]:  # relative to the example's folder, not the copy's
        if "url" in source:
            source["url"] = f"sqlite:///{EXAMPLE_CONFIG.parent / 'warehouse.sqlite'}"
        if "path" in source:
            source["path"] = str(EXAMPLE_CONFIG.parent / source["path"])
    members = [f"member-{i}" for i in range(recipients)]
    config["people"] += [
        {"id": m, "name": f"Member {i}", "email": f"member{i}@staff.acme.test"}
        for i, m in enumerate(members)
    ]
    config["audiences"].append({"id": "everyone", "name": "Everyone", "members": members})
    for kpi in config["kpis"]:
        kpi["audiences"].append("everyone")
    if slow_gather:
        config["kpis"].append(
            {
                "id": "rows-scanned",
                "name": "Rows scanned",
                "owner": "kenji",
                "source": "warehouse",
                "query": SLOW_KPI_QUERY,
                "audiences": ["leadership"],
            }
        )
    ritual = config["rituals"][0]
    ritual.pop("schedule")
    ritual["audiences"].append("everyone")
    ritual["approval"] = {"approvers": list(APPROVERS), "requester": "ana", "deadline": "3d"}
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")


def write_feedback(path: Path, items: int, seed: int) -> None:
    """``items`` distinct, valid rows; no created_at, so each is timed by its import."""
    rng = random.Random(seed)
    words = ["invoice", "sso", "dashboard", "export", "api", "webhook", "trial", "crash", "slow"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "submitter", "source", "customer", "segment", "arr"])
        for i in range(items):
            writer.writerow(
                [
                    f"The {' and '.join(rng.sample(words, 2))} need work, case {i}",
                    f"user{rng.randrange(400)}@customer{rng.randrange(300)}.test",
                    rng.choice(["sales", "support", "customer", "internal"]),
                    f"Customer {rng.randrange(300)}",
                    rng.choice(["enterprise", "mid-market", "smb"]),
                    rng.choice([0, 5000, 24000, 60000]),
                ]
            )


@dataclass
class World:
    folder: Path
    config: Path
    feedback: Path
    database_url: str
    fake: FakeSendGrid
    gate: SendGridGate
    server: DevServer
    worker: WorkerProcess
    env: dict[str, str]

    async def client(self) -> Client:
        """A client of the dev server, retried while a just-started server warms up."""
        for _ in range(100):
            try:
                return await Client.connect(
                    self.server.address, data_converter=pydantic_data_converter
                )
            except RuntimeError:
                await asyncio.sleep(0.2)
        raise RuntimeError(f"no Temporal server at {self.server.address}")

    async def cli(self, *args: str, within: float = CLI_SECONDS) -> tuple[int, str, str]:
        """``opsrhythm ARGS`` as the operator runs it: (exit code, stdout, stderr)."""
        process = await asyncio.create_subprocess_exec(
            *opsrhythm_command(),
            *args,
            cwd=self.folder,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), within)
        return process.returncode or 0, out.decode(), err.decode()

    def deliveries(self) -> Counter[MessageKey]:
        """How many times SendGrid accepted each (workflow, audience, message, recipient)."""
        counts: Counter[MessageKey] = Counter()
        for body in self.fake.delivered_requests():
            args: dict[str, str] = body.get("custom_args", {})
            parts = (args.get(name, "") for name in ("workflow_id", "audience", "message"))
            run_id, audience, message = parts
            for personalization in body["personalizations"]:
                for address in personalization.get("to", []):
                    key = MessageKey(run_id, audience, message_kind(message), address["email"])
                    counts[key] += 1
        return counts

    def intended(self, workflow_id: str) -> set[MessageKey]:
        """The report to every member of each of its audiences, and each approver's request."""
        config = load_config(self.config)
        ritual = next(r for r in config.rituals if r.id == RITUAL)
        keys = {
            MessageKey(workflow_id, audience_id, "report", config.person(member).email.lower())
            for audience_id in ritual.audiences
            for member in config.audience(audience_id).members
        }
        return keys | {MessageKey(workflow_id, *APPROVAL_REQUEST, e) for e in APPROVERS.values()}

    def feedback_counts(self) -> tuple[int, int, int]:
        """(items in the file, of them stored, stored with more than one 'routed' event)."""
        expected = {row.item_id for row in read_file(self.feedback, now=datetime.now(UTC))}
        ledger = FeedbackLedger.from_url(self.database_url)
        try:
            with ledger.engine.connect() as conn:
                stored = set(conn.scalars(sa.select(ledger.items.c.id))) & expected
                routed = Counter[Any](
                    conn.scalars(
                        sa.select(ledger.history.c.item_id).where(
                            ledger.history.c.event == "routed"
                        )
                    )
                )
        finally:
            ledger.close()
        return len(expected), len(stored), sum(1 for item in stored if routed[item] > 1)


@contextmanager
def world(
    folder: Path, *, recipients: int, feedback_items: int, seed: int, slow_gather: bool = True
) -> Iterator[World]:
    """Files written, server and fake SendGrid up, the worker polling; all stopped on exit.
    ``slow_gather`` adds the slow KPI, for kills inside gather."""
    config, feedback = folder / "opsrhythm.yaml", folder / "feedback.csv"
    write_config(config, recipients, slow_gather=slow_gather)
    write_feedback(feedback, feedback_items, seed)
    database_url = sqlite_url(folder / "opsrhythm.db")
    with ExitStack() as stack:
        fake = stack.enter_context(FakeSendGrid())
        gate = stack.enter_context(SendGridGate(fake.url))
        server = stack.enter_context(
            DevServer(folder / "temporal.db", log_file=folder / "temporal.log")
        )
        env = worker_environment(
            temporal_address=server.address,
            database_url=database_url,
            sendgrid_url=gate.url,
            sendgrid_key=DEFAULT_API_KEY,
            config=config,
            archive=folder / "archive",
        )
        worker = stack.enter_context(WorkerProcess(env, folder))
        yield World(folder, config, feedback, database_url, fake, gate, server, worker, env)
