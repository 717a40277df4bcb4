"""No secret reaches a workflow history, a log line, an email or the archive.

A full KPI report with approval runs with every secret the worker and the web app read set to a
distinctive value: the SendGrid key, the link-signing secret, a ledger URL and a source URL with
passwords (PostgreSQL with trust auth ignores them), an HTTP source's bearer token and the owner
webhook's URL. The approver approves through the link in the email, on the real web app. Then
everything a person or a log collector could see is scanned for each value and its base64.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from temporalio.testing import WorkflowEnvironment

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.config_loader import parse_config
from opsrhythm.platform.approvals.links import signer_from_environment
from opsrhythm.platform.approvals.store import UsedLinks
from opsrhythm.platform.mail.outbox import OutboxTransport
from opsrhythm.rituals.kpi_report.models import KpiReportInput
from opsrhythm.web import create_app
from tests.conftest import EXAMPLE_CONFIG
from tests.databases import POSTGRES_URL, postgres_schema
from tests.fake_sendgrid import FakeSendGrid
from tests.json_stub import json_endpoint
from tests.web.live_server import live_server
from worker import build_worker
from workflows.kpi_report import KpiReportWorkflow

pytestmark = pytest.mark.postgres

SENDGRID_KEY = "SG.sendgrid-key-Kq7vX2mZp9LwR4tN"
LINK_SECRET = "link-signing-secret-Hd8sQ3jF6yBn1cVe"
LEDGER_PASSWORD = "ledger-pw-Zr5uM8kT2xWq"
WAREHOUSE_PASSWORD = "warehouse-pw-Gy3nP7dL9sAe"
METRICS_TOKEN = "metrics-token-Vb6hJ1wC4zYo"
WEBHOOK_URL = "https://hooks.example.com/services/T0WEBHOOK/B0WEBHOOK/webhook-path-Nf2rE8kU5iXa"
SECRETS = [SENDGRID_KEY, LINK_SECRET, LEDGER_PASSWORD, WAREHOUSE_PASSWORD, METRICS_TOKEN]
SECRETS.append(WEBHOOK_URL)
STDIO = "stdout and stderr, the Temporal core's included"
_APPROVE = re.compile(r"Approve: (\S+)")
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def base64_forms(secret: str) -> set[str]:
    """The base64 text that ``secret`` becomes inside any longer encoded blob: one per byte
    alignment, standard and URL-safe, without the characters its neighbours share."""
    raw = secret.encode()
    forms = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode()
        inner = encoded[-(-offset * 4 // 3) : (offset + len(raw)) * 8 // 6]
        forms |= {inner, inner.replace("+", "-").replace("/", "_")}
    return forms


def leaks(text: str) -> list[str]:
    """Each secret (or base64 form of it) found in ``text``."""
    return [
        secret
        for secret in SECRETS
        if secret in text or any(form in text for form in base64_forms(secret))
    ]


def with_secret_sources(metrics_url: str) -> OpsRhythmConfig:
    """The example, approved by Dev, with a password-protected SQL source, a token-protected
    HTTP source, and a webhook for owner notices, each named by its environment variable."""
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    data["sources"] += [
        {"id": "ops-db", "kind": "sql", "url_env": "TEST_OPS_DB_URL"},
        {"id": "metrics-api", "kind": "http", "url": metrics_url, "token_env": "TEST_TOKEN"},
    ]
    data["kpis"] += [
        {
            "id": "incidents",
            "name": "Open incidents",
            "owner": "kenji",
            "source": "ops-db",
            "query": "SELECT 7",
            "audiences": ["leadership"],
        },
        {
            "id": "api-users",
            "name": "API users",
            "owner": "kenji",
            "source": "metrics-api",
            "column": "data.users",
            "audiences": ["leadership"],
        },
    ]
    data["rituals"][0]["approval"] = {"approvers": ["dev"]}
    data["notify"] = {"webhook_url_env": "TEST_WEBHOOK_URL"}
    text = yaml.safe_dump(data, sort_keys=False)
    return parse_config(text, source="secrets.yaml", base_dir=EXAMPLE_CONFIG.parent)


@pytest.fixture
def ledger_url() -> Iterator[str]:
    """A fresh PostgreSQL schema, reached with a password that trust auth ignores."""
    with postgres_schema() as url:
        yield url.replace("postgres@", f"postgres:{LEDGER_PASSWORD}@", 1)


@pytest.fixture
def metrics_api(run: str) -> Iterator[str]:
    def respond(request: Any) -> tuple[int, Any]:
        if request.headers.get("Authorization") != f"Bearer {METRICS_TOKEN}":
            return 401, {"error": "unauthorized"}
        if run == "sources-down":
            return 503, {"error": "down for maintenance"}
        return 200, {"data": {"users": 1010}}

    with json_endpoint(respond) as url:
        yield url


@asynccontextmanager
async def approval_site(env: WorkflowEnvironment, ledger_url: str) -> AsyncIterator[str]:
    """`opsrhythm web` as it runs: its signer from the environment, its store in the ledger."""
    signer = signer_from_environment()
    assert signer is not None
    used = UsedLinks.from_url(ledger_url)
    try:
        async with live_server(create_app(env.client, signer, used)) as base:
            yield base
    finally:
        used.close()


async def approve_link(sendgrid: FakeSendGrid | None, outbox: Path) -> str:
    """The Approve link in Dev's request email, once the worker has sent it (30 s at most)."""
    for _ in range(600):
        for text in _request_texts(sendgrid, outbox):
            match = _APPROVE.search(text)
            if match:
                return match.group(1)
        await asyncio.sleep(0.05)
    raise AssertionError("no approval request was sent to Dev")


def _request_texts(sendgrid: FakeSendGrid | None, outbox: Path) -> Iterator[str]:
    if sendgrid is not None:
        for body in sendgrid.delivered_requests():
            emails = {a["email"] for p in body["personalizations"] for a in p["to"]}
            if "dev.patel@acme.example" in emails and "Approve:" in json_text(body):
                yield next(c["value"] for c in body["content"] if c["type"] == "text/plain")
        return
    for path in outbox.glob("*approval-request*dev.patel@acme.example*.eml"):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        part = message.get_body(preferencelist=("plain",))
        if part is not None:
            yield str(part.get_content())


async def approve(http: httpx.AsyncClient, link: str) -> tuple[httpx.Response, httpx.Response]:
    """Open the link, then press Approve on its page, as a browser would."""
    page = await http.get(link)
    csrf = _CSRF.search(page.text)
    assert csrf is not None, page.text
    form = {"token": httpx.URL(link).params["token"], "csrf": csrf.group(1), "decision": "approve"}
    return page, await http.post(link, data=form)


def json_text(body: dict[str, Any]) -> str:
    """A request body as one JSON line: nothing wraps a secret across lines."""
    return json.dumps(body, ensure_ascii=False)


# A decision carries a wall-clock not_after, which the time-skipping server's clock outruns.
@pytest.mark.dev_server
@pytest.mark.parametrize("run", ["sendgrid", "outbox", "sources-down"])
async def test_no_secret_in_history_logs_emails_or_archive(
    run: str,
    dev_server_env: WorkflowEnvironment,
    ledger_url: str,
    metrics_api: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A report approved from its email link: its history, the logs, every email, every
    outbox and archive file and the approval pages name none of the secrets. sources-down: the
    password-protected sources fail, and their errors travel through history into the emails."""
    caplog.set_level(logging.DEBUG)
    config = with_secret_sources(metrics_api)
    warehouse = POSTGRES_URL.replace("postgres@", f"postgres:{WAREHOUSE_PASSWORD}@", 1)
    if run == "sources-down":
        warehouse = warehouse.replace(":5432/", ":1/")  # nothing listens on port 1
    transport = "outbox" if run == "outbox" else "sendgrid"
    outbox, archive = tmp_path / "outbox", tmp_path / "archive"
    environment = {
        "OPSRHYTHM_SECRET": LINK_SECRET,
        "OPSRHYTHM_DATABASE_URL": ledger_url,
        "SENDGRID_API_KEY": SENDGRID_KEY,
        "TEST_OPS_DB_URL": warehouse,
        "TEST_TOKEN": METRICS_TOKEN,
        "TEST_WEBHOOK_URL": WEBHOOK_URL,
        "OPSRHYTHM_OUTBOX": str(outbox),
        "OPSRHYTHM_ARCHIVE": str(archive),
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    client = dev_server_env.client
    with FakeSendGrid(api_key=SENDGRID_KEY) as sendgrid:
        monkeypatch.setenv("SENDGRID_HOST", sendgrid.url)
        async with approval_site(dev_server_env, ledger_url) as base:
            monkeypatch.setenv("OPSRHYTHM_PUBLIC_URL", base)
            task_queue = str(uuid.uuid4())
            # The worker picks its transport, ledger and signer from the environment itself.
            worker = build_worker(
                client,
                config,
                task_queue=task_queue,
                transport=OutboxTransport(outbox, config.email) if transport == "outbox" else None,
            )
            async with worker, httpx.AsyncClient() as http:
                handle = await client.start_workflow(
                    KpiReportWorkflow.run,
                    KpiReportInput(ritual_id="monthly-kpi-report", period="2026-10"),
                    id=f"monthly-kpi-report-2026-10-{uuid.uuid4().hex[:8]}",
                    task_queue=task_queue,
                )
                link = await approve_link(sendgrid if transport == "sendgrid" else None, outbox)
                page, decided = await approve(http, link)
                result = await handle.result()
            history = (await handle.fetch_history()).to_json()
        emails = [json_text(body) for body in sendgrid.delivered_requests()]

    assert result.approval is not None
    secret_kpis = {"incidents", "api-users"}
    assert ("approved", 200, secret_kpis if run == "sources-down" else set()) == (
        result.approval.outcome,
        decided.status_code,
        secret_kpis & set(result.kpis_without_data),
    )
    assert (transport == "sendgrid") == bool(emails)
    files = [p for folder in (outbox, archive) if folder.exists() for p in folder.rglob("*")]
    seen = {
        "history": history,
        "logs": caplog.text,
        STDIO: "".join(capfd.readouterr()),
        "approval pages": page.text + decided.text,
        **{f"sendgrid request {i}": text for i, text in enumerate(emails)},
        **{str(p): p.read_bytes().decode("utf-8", "replace") for p in files if p.is_file()},
    }
    print(
        "CNT",
        len(files),
        len(caplog.records),
        {k: len(v) for k, v in seen.items() if not k.startswith("/")},
    )
    assert [] == [where for where, text in seen.items() if not text and where != STDIO]
    assert {} == {where: found for where, text in seen.items() if (found := leaks(text))}
