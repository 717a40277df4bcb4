"""The OpsRhythm worker: every ritual's workflows and activities on one task queue.

Run ``python worker.py`` (or ``opsrhythm worker``) with the standard Temporal settings
(TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS files or a config profile).
"""

from __future__ import annotations

import concurrent.futures
import functools
from pathlib import Path
from typing import TYPE_CHECKING

from temporalio.client import Client
from temporalio.worker import Worker

if TYPE_CHECKING:
    from opsrhythm.feedback.ledger import FeedbackLedger
    from opsrhythm.ledger import SendLedger

from activities.approval import ApprovalActivities
from activities.email import EmailActivities
from activities.feedback import FeedbackActivities
from activities.feedback_sla import FeedbackSlaActivities
from activities.kpi_data import KpiDataActivities
from activities.reporting import ReportingActivities
from opsrhythm import __version__
from opsrhythm.approvals.links import public_url, signer_from_environment
from opsrhythm.approvals.rendering import ApprovalRenderer
from opsrhythm.config import OpsRhythmConfig
from opsrhythm.feedback.links import links_from_environment
from opsrhythm.ledger_keys import default_database_url
from opsrhythm.mail.transport import MailTransport, transport_from_environment
from opsrhythm.rendering import (
    ReportRenderer,
    default_archive_dir,
    default_templates_dir,
    render_failure_notice,
)
from opsrhythm.temporal_runtime import TASK_QUEUE
from workflows.feedback_sla import FeedbackSlaWorkflow
from workflows.feedback_triage import FeedbackTriageWorkflow
from workflows.kpi_report import KpiReportWorkflow
from workflows.scheduled_run import ScheduledRitualWorkflow


def build_worker(
    client: Client,
    config: OpsRhythmConfig,
    *,
    task_queue: str = TASK_QUEUE,
    transport: MailTransport | None = None,
    ledger: SendLedger | None = None,
    archive_dir: Path | None = None,
) -> Worker:
    """A worker wired to the environment's mail transport, database and archive by default."""
    templates_dir = default_templates_dir()
    kpi_data = KpiDataActivities(config)
    reporting = ReportingActivities(
        ReportRenderer(templates_dir, archive_dir or default_archive_dir())
    )
    email = EmailActivities(
        transport or transport_from_environment(config.email),
        (lambda: ledger) if ledger else _open_default_ledger,
        config.email,
        functools.partial(render_failure_notice, templates_dir=templates_dir),
    )
    approval = ApprovalActivities(
        ApprovalRenderer(
            templates_dir,
            archive_dir or default_archive_dir(),
            signer_from_environment(),
            public_url(),
        )
    )
    feedback = FeedbackActivities(config.feedback, _open_feedback_ledger)
    feedback_sla = FeedbackSlaActivities(
        config,
        _open_feedback_ledger,
        (lambda: ledger) if ledger else _open_default_ledger,
        transport or transport_from_environment(config.email),
        links_from_environment(),
    )
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[
            KpiReportWorkflow,
            ScheduledRitualWorkflow,
            FeedbackTriageWorkflow,
            FeedbackSlaWorkflow,
        ],
        activities=[
            kpi_data.plan_report,
            kpi_data.gather_source,
            reporting.render_report,
            email.send_email,
            email.send_failure_notice,
            approval.render_approval_emails,
            approval.render_approval_notice,
            feedback.plan_feedback_import,
            feedback.triage_feedback_chunk,
            feedback_sla.sweep_sla,
        ],
        activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=16),
        # Without it the SDK hashes every loaded module at start-up to derive one.
        build_id=f"opsrhythm-{__version__}",
    )


def _open_default_ledger() -> SendLedger:
    from opsrhythm.ledger import SendLedger

    return SendLedger.from_url(default_database_url())


def _open_feedback_ledger() -> FeedbackLedger:
    from opsrhythm.feedback.ledger import FeedbackLedger

    return FeedbackLedger.from_url(default_database_url())


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``python worker.py``: the same as ``opsrhythm worker``."""
    import starter

    return starter.main(["worker", *(argv or [])])


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
