"""Benchmark: a report to 1,000 recipients in 3 audiences, our send path against the naive one.

Ours is the real activity path (ledger claim, batched SendGridTransport, mark sent) on a SQLite
ledger; the baseline sends one request per recipient with the official client, as most
integrations do. Both talk to the same fake SendGrid, which validates every body. Run from the
repo root: ``python -m bench.fanout``. The last line printed is one JSON object of the figures.
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
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Attachment, Category, ContentId, CustomArg, Disposition, Mail
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities
from opsrhythm.platform.config import EmailSettings
from opsrhythm.platform.db.migrate import upgrade
from opsrhythm.platform.ledger import SendLedger
from opsrhythm.platform.mail.sendgrid_transport import SendGridTransport
from opsrhythm.platform.models import (
    DeliveryResult,
    FailureNoticeInput,
    InlineImage,
    Recipient,
    RenderedEmail,
    SendEmailInput,
)
from tests.fake_sendgrid import DEFAULT_API_KEY, FakeSendGrid

SETTINGS = EmailSettings(from_email="ops@acme.test", from_name="Acme Ops")
WORKFLOW_ID = "monthly-kpi-report-2026-10"


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

    def __init__(self, server: FakeSendGrid, folder: Path) -> None:
        self.message_path = folder / "report.json"
        self.message_path.write_text(report().model_dump_json())
        url = f"sqlite:///{folder / 'ledger.db'}"
        upgrade(url)
        self.ledger = SendLedger.from_url(url)
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


def _no_notice(notice: FailureNoticeInput) -> RenderedEmail:
    raise NotImplementedError("the benchmark sends no failure notices")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__)
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--audiences", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    args = parser.parse_args(argv)
    groups = audiences(args.recipients, args.audiences)
    message = report()
    with FakeSendGrid() as server, tempfile.TemporaryDirectory() as folder:
        ours = OurPath(server, Path(folder))
        client = SendGridAPIClient(api_key=DEFAULT_API_KEY, host=server.url)
        warm_up = {"warm-up": [Recipient(name="Warm Up", email="warm-up@acme.test")]}
        ours.send("warm-up", warm_up)
        send_baseline(client, message, warm_up)
        # Startup objects (SQLAlchemy, Temporal, pydantic) would otherwise make full garbage
        # collections land at random inside either timed loop.
        gc.collect()
        gc.freeze()
        ours_times, baseline_times = [], []
        for run in range(args.repeat):
            before = (server.received, len(server.deliveries()))
            ours_times.append(timed(partial(ours.send, f"{WORKFLOW_ID}-{run}", groups)))
            ours_requests = server.received - before[0]
            ours_deliveries = len(server.deliveries()) - before[1]
            before = (server.received, len(server.deliveries()))
            baseline_times.append(timed(partial(send_baseline, client, message, groups)))
            baseline_requests = server.received - before[0]
        before = (server.received, len(server.deliveries()))
        replay = ours.send(f"{WORKFLOW_ID}-0", groups)
        replay_requests = server.received - before[0]
        ours.ledger.close()
    best_ours, best_baseline = min(ours_times), min(baseline_times)
    figures = {
        "recipients": args.recipients,
        "audiences": args.audiences,
        "repeat": args.repeat,
        "ours_seconds": round(best_ours, 4),
        "ours_requests": ours_requests,
        "ours_deliveries": ours_deliveries,
        "baseline_seconds": round(best_baseline, 4),
        "baseline_requests": baseline_requests,
        "replay_requests": replay_requests,
        "replay_sent": sum(len(result.sent) for result in replay),
        "ratio": round(best_baseline / best_ours, 1),
    }
    print(f"fan-out of one report to {args.recipients} recipients in {args.audiences} audiences,")
    print(f"best of {args.repeat} runs each, against the fake SendGrid on loopback")
    print(f"ours:     {best_ours:7.3f} s, {ours_requests} requests (ledger + batched sends)")
    print(f"baseline: {best_baseline:7.3f} s, {baseline_requests} requests (one per recipient)")
    print(f"ratio:    {best_baseline / best_ours:7.1f}x")
    print(
        f"replaying run 0 through the ledger: {replay_requests} requests, "
        f"{figures['replay_sent']} recipients reported as sent by the earlier run"
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
