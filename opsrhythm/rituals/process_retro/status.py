"""The retro's part of ``opsrhythm status WF`` (this kind's ``status_details``): its stage and
when the window closes, the counts, and how the earlier actions' review stands; as lines and as
``retro`` for ``--json``. Counts only: the status never says who wrote or voted for what."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client

from opsrhythm.platform.approvals.handlers import as_server_errors
from opsrhythm.platform.terminal import utc_iso
from opsrhythm.rituals.process_retro.client import retro_status
from opsrhythm.rituals.process_retro.models import RetroStatus


async def status_details(client: Client, workflow_id: str) -> tuple[list[str], dict[str, Any]]:
    with as_server_errors():
        found = await retro_status(client, workflow_id)
    return retro_lines(found), {"retro": retro_json(found)}


def retro_lines(status: RetroStatus) -> list[str]:
    closes = f" until {utc_iso(status.closes_at)}" if status.closes_at else ""
    counts = status.counts
    invited = len(status.plan.participants) if status.plan else 0
    lines = [
        f"Retro {status.ritual_id} {status.period}: {status.stage}{closes}",
        f"  items: {counts.items} from {counts.participants} of {invited} participants; "
        f"themes: {counts.groups}; votes: {counts.votes} from {counts.voters}",
    ]
    if status.open_actions_reviewed or status.open_actions_pending:
        lines.append(
            f"  earlier actions: {status.open_actions_reviewed} reported, "
            f"{status.open_actions_pending} still open"
        )
    return lines


def retro_json(status: RetroStatus) -> dict[str, Any]:
    return status.model_dump(mode="json", exclude={"plan"}) | {
        "participants": len(status.plan.participants) if status.plan else 0
    }
