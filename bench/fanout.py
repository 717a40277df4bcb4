"""Benchmark: a report to 1,000 and 10,000 recipients in 3 audiences, ours against the naive path.

Ours is the real activity path (ledger claim per request batch, batched SendGridTransport, mark
sent) on a SQLite ledger, or with ``--database postgres`` a fresh schema in PostgreSQL's ``test``
database; the naive path sends one request per recipient with the official client, as most
integrations do, with no ledger. Both talk to the same fake SendGrid, which validates every body.
The naive path is timed in full while that fits ``--naive-budget`` seconds (estimated from a
pilot of 200 recipients), else on a sample of recipients and scaled, which the output says.
Run from the repo root: ``python -m bench.fanout [--recipients N ...] [--database postgres]``.
The last line printed is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import struct
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Attachment, Category, ContentId, CustomArg, Disposition, Mail
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities
from opsrhythm.platform.config import EmailSettings
from opsrhythm.platform.ledger import SendLedger
from opsrhythm.platform.mail.notices import OwnerNoticeInput
from opsrhythm.platform.mail.sendgrid_transport import SendGridTransport
from opsrhythm.platform.models import (
    DeliveryResult,
    InlineImage,
    Recipient,
    RenderedEmail,
    SendEmailInput,
)
from tests.databases import postgres_schema, sqlite_url
from tests.fake_sendgrid import DEFAULT_API_KEY, FakeSendGrid

SETTINGS = EmailSettings(from_email="ops@acme.test", from_name="Acme Ops")
WORKFLOW_ID = "monthly-kpi-report-2026-10"
# The ratio each size must reach (issue #10): the naive path over ours.
GOALS = {1000: 10, 10_000: 20}
PILOT = 200


def chart_png(width: int = 120, height: int = 60) -> bytes:
    """A small solid PNG, standing in for a rendered chart."""
    rows = b"".join(b"\x00" + b"\x30\x70\xb0" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def report() -> RenderedEmail:
    html = "<h1>KPI report: October 2026</h1>" + "<p>Revenue is up 4%.</p>" * 40
    return RenderedEmail(
        subject="KPI report: October 2026",
        html=html + '<img src="cid:chart-revenue">',
        text="KPI report: October 2026\n" + "Revenue is up 4%.\n" * 40,
        inline_images=[
            InlineImage(
                content_id="chart-revenue",
                filename="revenue.png",
                content_base64=base64.b64encode(chart_png()).decode(),
            )
        ],
    )


def audiences(recipients: int, count: int) -> dict[str, list[Recipient]]:
    people = [Recipient(name=f"Person {i}", email=f"p{i}@acme.test") for i in range(recipients)]
    return {f"audience-{a}": people[a::count] for a in range(count)}


class OurPath:
    """The activity as the worker runs it: ledger claim, batched send, mark sent."""

    def __init__(self, server: FakeSendGrid, folder: Path, ledger_url: str) -> None:
        self.message_path = folder / "report.json"
        self.message_path.write_text(report().model_dump_json())
        self.ledger = SendLedger.from_url(ledger_url)
        transport = SendGridTransport(DEFAULT_API_KEY, SETTINGS, host=server.url)
        self.activities = EmailActivities(transport, lambda: self.ledger, SETTINGS, _no_notice)

    def send(self, workflow_id: str, groups: dict[str, list[Recipient]]) -> list[DeliveryResult]:
        return [
            ActivityEnvironment().run(
                self.activities.send_email,
                SendEmailInput(
                    workflow_id=workflow_id,
                    ritual_id="monthly-kpis",
                    period="2026-10",
                    audience_id=audience_id,
                    message_kind="report",
                    message_path=str(self.message_path),
                    recipients=recipients,
                ),
            )
            for audience_id, recipients in groups.items()
        ]


def send_baseline(client: Any, message: RenderedEmail, groups: dict[str, list[Recipient]]) -> None:
    """One request per recipient through the official client, with no ledger."""
    for audience_id, recipients in groups.items():
        for recipient in recipients:
            mail = Mail(
                from_email=(SETTINGS.from_email, SETTINGS.from_name),
                to_emails=(recipient.email, recipient.name),
                subject=message.subject,
                plain_text_content=message.text,
                html_content=message.html,
            )
            for image in message.inline_images:
                mail.add_attachment(
                    Attachment(
                        image.content_base64,
                        image.filename,
                        "image/png",
                        Disposition("inline"),
                        ContentId(image.content_id),
                    )
                )
            mail.add_category(Category("opsrhythm"))
            mail.add_custom_arg(CustomArg("audience", audience_id))
            client.send(mail)


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _no_notice(notice: OwnerNoticeInput) -> RenderedEmail:
    raise NotImplementedError("the benchmark sends no failure notices")


@contextmanager
def ledger_database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh, upgraded ledger database: a SQLite file, or a PostgreSQL schema dropped after."""
    if kind == "sqlite":
        yield sqlite_url(folder / "ledger.db")
        return
    with postgres_schema() as url:
        yield url


@dataclass(frozen=True)
class Naive:
    seconds: float
    """For every recipient: measured, or scaled from ``timed`` recipients."""
    timed: int
    runs: int


def time_naive(
    client: Any, message: RenderedEmail, size: int, count: int, repeat: int, budget: float
) -> Naive:
    """The naive path's best time for ``size`` recipients, in full while the runs fit ``budget``
    seconds, else once on as many recipients as fit, scaled: it is linear, one request each."""
    rate = timed(partial(send_baseline, client, message, audiences(PILOT, count))) / PILOT
    full = rate * size
    if full <= budget:
        runs = max(1, min(repeat, int(budget // full)))
        groups = audiences(size, count)
        return Naive(
            min(timed(partial(send_baseline, client, message, groups)) for _ in range(runs)),
            size,
            runs,
        )
    sample = max(PILOT, int(budget / rate) // PILOT * PILOT)
    seconds = timed(partial(send_baseline, client, message, audiences(sample, count)))
    return Naive(seconds * size / sample, sample, 1)


def measure(size: int, args: argparse.Namespace, folder: Path, ledger_url: str) -> dict[str, Any]:
    """One size: ours (best of ``repeat``), the naive path, and a replay of a finished run."""
    groups = audiences(size, args.audiences)
    message = report()
    with FakeSendGrid() as server:
        ours = OurPath(server, folder, ledger_url)
        client = SendGridAPIClient(api_key=DEFAULT_API_KEY, host=server.url)
        warm_up = {"warm-up": [Recipient(name="Warm Up", email="warm-up@acme.test")]}
        ours.send(f"warm-up-{size}", warm_up)
        send_baseline(client, message, warm_up)
        # Startup objects (SQLAlchemy, Temporal, pydantic) would otherwise make full garbage
        # collections land at random inside either timed loop.
        gc.collect()
        gc.freeze()
        ours_times = []
        for run in range(args.repeat):
            before = (server.received, len(server.deliveries()))
            ours_times.append(timed(partial(ours.send, f"{WORKFLOW_ID}-n{size}-r{run}", groups)))
            requests = server.received - before[0]
            deliveries = len(server.deliveries()) - before[1]
        before_replay = server.received
        replay = ours.send(f"{WORKFLOW_ID}-n{size}-r0", groups)
        replay_requests = server.received - before_replay
        naive = time_naive(client, message, size, args.audiences, args.repeat, args.naive_budget)
        ours.ledger.close()
    best = min(ours_times)
    return {
        "recipients": size,
        "ours_seconds": round(best, 4),
        "ours_requests": requests,
        "ours_deliveries": deliveries,
        "naive_seconds": round(naive.seconds, 4),
        "naive_timed_recipients": naive.timed,
        "naive_runs": naive.runs,
        "naive_estimated": naive.timed < size,
        "replay_requests": replay_requests,
        "replay_sent": sum(len(result.sent) for result in replay),
        "ratio": round(naive.seconds / best, 1),
        "goal": GOALS.get(size),
    }


def print_table(figures: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(
        f"fan-out of one report in {args.audiences} audiences: ledger on {args.database}, fake "
        f"SendGrid on loopback; ours best of {args.repeat}; (requests) after each time"
    )
    print(f"{'recipients':>10}  {'ours':>16}  {'naive':>20}  {'ratio':>7}  goal")
    for f in figures:
        ours = f"{f['ours_seconds']:.3f} s ({f['ours_requests']:,})"
        naive = f"{f['naive_seconds']:.3f} s ({f['naive_timed_recipients']:,})"
        naive += "*" if f["naive_estimated"] else ""
        goal = f["goal"]
        verdict = "" if goal is None else f">= {goal}x: {'met' if f['ratio'] >= goal else 'MISSED'}"
        print(f"{f['recipients']:>10,}  {ours:>16}  {naive:>20}  {f['ratio']:>6.1f}x  {verdict}")
    for f in figures:
        if f["naive_estimated"]:
            print(
                f"* naive at {f['recipients']:,}: estimated, timed once on "
                f"{f['naive_timed_recipients']:,} recipients and scaled by "
                f"{f['recipients'] / f['naive_timed_recipients']:.1f} (over --naive-budget)"
            )
        else:
            print(f"naive at {f['recipients']:,}: timed in full, best of {f['naive_runs']}")
    for f in figures:
        print(
            f"replaying a finished run of {f['recipients']:,} through the ledger: "
            f"{f['replay_requests']} requests, {f['replay_sent']:,} reported as sent before"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__)
    parser.add_argument("--recipients", type=int, nargs="+", default=list(GOALS))
    parser.add_argument("--audiences", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours; the best counts")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--naive-budget",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="time the naive path in full (up to --repeat runs) while it fits; else a sample",
    )
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory() as folder,
        ledger_database(args.database, Path(folder)) as url,
    ):
        figures = [measure(size, args, Path(folder), url) for size in args.recipients]
    print_table(figures, args)
    print(json.dumps({"audiences": args.audiences, "database": args.database, "runs": figures}))
    return 0 if all(f["goal"] is None or f["ratio"] >= f["goal"] for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
