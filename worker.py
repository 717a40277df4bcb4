"""The OpsRhythm worker: every ritual's workflows and activities on one task queue.

Run ``python worker.py`` (or ``opsrhythm worker``) with the standard Temporal settings
(TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS files or a config profile).
"""

from __future__ import annotations

import concurrent.futures
import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from temporalio.client import Client
from temporalio.worker import Worker

if TYPE_CHECKING:
    from opsrhythm.platform.actions.store import ActionStore
    from opsrhythm.platform.ledger import SendLedger

from activities.actions import ActionActivities
from activities.approval import ApprovalActivities
from activities.email import EmailActivities
from activities.owner_fallback import OwnerFallbackActivities
from opsrhythm import __version__
from opsrhythm.platform import resources
from opsrhythm.platform.approvals.links import public_url, signer_from_environment
from opsrhythm.platform.approvals.rendering import ApprovalRenderer
from opsrhythm.platform.config import PlatformConfig
from opsrhythm.platform.failures import quiet_handled_failures
from opsrhythm.platform.mail.contract import MailTransport
from opsrhythm.platform.mail.notices import render_notice
from opsrhythm.platform.mail.outbox import OutboxTransport
from opsrhythm.platform.mail.transport import (
    outbox_dir_from_environment,
    transport_from_environment,
)
from opsrhythm.platform.mail.webhook import webhook_url
from opsrhythm.platform.rendering import default_archive_dir
from opsrhythm.platform.ritual_kind import RitualKind, WorkerContext
from opsrhythm.platform.stores import DatabaseOutages
from opsrhythm.platform.temporal_runtime import TASK_QUEUE
from opsrhythm.registry import RITUAL_KINDS
from workflows.action_follow_up import ActionFollowUpWorkflow
from workflows.scheduled_run import ScheduledRitualWorkflow


def build_worker(
    client: Client,
    config: PlatformConfig,
    *,
    kinds: Sequence[RitualKind] = RITUAL_KINDS,
    task_queue: str = TASK_QUEUE,
    transport: MailTransport | None = None,
    ledger: SendLedger | None = None,
    archive_dir: Path | None = None,
) -> Worker:
    """The shared steps (sending, approvals, schedules) plus every kind's workflows and
    activities, wired to the environment's mail transport, database and archive by default.
    A webhook variable the config names but the environment lacks is a ConfigError here."""
    hook = webhook_url(config.notify)
    context = WorkerContext(
        config=config,
        templates_dir=resources.templates_dir(),
        archive_dir=archive_dir or default_archive_dir(),
        transport=transport or transport_from_environment(config.email),
        send_ledger=(lambda: ledger) if ledger else _open_default_ledger,
    )
    email = EmailActivities(
        context.transport,
        context.send_ledger,
        config.email,
        functools.partial(render_notice, templates_dir=context.templates_dir),
    )
    fallback = OwnerFallbackActivities(
        # The transport's own folder when it is the outbox; the default one when it is SendGrid.
        (
            context.transport.directory
            if isinstance(context.transport, OutboxTransport)
            else outbox_dir_from_environment()
        ),
        config.email,
        context.templates_dir,
        hook,
    )
    approval = ApprovalActivities(
        ApprovalRenderer(
            context.templates_dir,
            context.archive_dir,
            signer_from_environment(),
            public_url(),
            config.organization.name,
        )
    )
    actions = ActionActivities(
        config,
        _open_action_store,
        context.send_ledger,
        context.templates_dir,
        context.archive_dir,
    )
    workflows: list[type] = [ScheduledRitualWorkflow, ActionFollowUpWorkflow]
    activities: list[Callable[..., Any]] = [
        email.send_email,
        email.send_failure_notice,
        email.send_needs_attention_notice,
        email.send_undelivered_notice,
        fallback.notify_owner_fallback,
        approval.render_approval_emails,
        approval.render_approval_notice,
        actions.list_open_actions,
        actions.apply_action_updates,
        actions.plan_action_notices,
        actions.render_action_notice,
    ]
    for kind in kinds:
        parts = kind.worker_parts(context)
        workflows += parts.workflows
        activities += parts.activities
    quiet_handled_failures()
    return Worker(
        client,
        task_queue=task_queue,
        workflows=workflows,
        activities=activities,
        interceptors=[DatabaseOutages()],
        activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=16),
        # Without it the SDK hashes every loaded module at start-up to derive one.
        build_id=f"opsrhythm-{__version__}",
    )


def _open_default_ledger() -> SendLedger:
    from opsrhythm.platform.ledger import SendLedger
    from opsrhythm.platform.stores import open_in_activity

    return open_in_activity(SendLedger.from_url)


def _open_action_store() -> ActionStore:
    from opsrhythm.platform.actions.store import ActionStore
    from opsrhythm.platform.stores import open_in_activity

    return open_in_activity(ActionStore.from_url)


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``python worker.py``: the same as ``opsrhythm worker``."""
    import starter

    return starter.main(["worker", *(argv or [])])


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
