"""After the kills: settle the unknown outcomes as an operator would, and count what happened.

An operator settles with the provider's activity feed in hand: recipients the feed shows as
delivered are ``--mark-sent``, the rest ``--resend`` and the run is re-run (``run --wait``, as
the CLI's own hint says). Here the feed is the fake SendGrid's record.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field

from temporalio.client import WorkflowExecutionStatus

from opsrhythm.platform.ledger_keys import MessageKey
from tests.reliability.kill_scenario import REPORT_ID
from tests.reliability.kill_world import PERIOD, RITUAL, World, message_kind

SETTLED_SECONDS = 90.0


@dataclass
class Settlement:
    unknown: list[MessageKey] = field(default_factory=list)
    marked_sent: int = 0
    """Unknown rows (recipient and message) settled as sent; ``resent``: released to resend."""
    resent: int = 0
    ambiguous: list[str] = field(default_factory=list)
    """Emails with unknown rows both delivered and not in one run: ``resolve --email`` cannot
    tell their rows apart, so these were left alone."""
    refused: list[str] = field(default_factory=list)
    """``ledger resolve`` refusals, e.g. --resend once the run has ended."""
    closed: bool = False
    """The report run had ended (or ended within SETTLED_SECONDS) after settling."""
    rerun_output: str = ""
    """``run --wait`` after settling: a re-run, or the run's own result."""


async def settle(world: World) -> Settlement:
    """``ledger unknown``, ``ledger resolve`` per run, the run's end, then ``run --wait``."""
    code, out, err = await world.cli("ledger", "unknown", "--json")
    if code != 0:
        raise RuntimeError(f"opsrhythm ledger unknown exited {code}: {err.strip()}")
    rows = json.loads(out)["unknown"]
    settlement = Settlement(
        [
            MessageKey(
                r["workflow_id"], r["audience_id"], message_kind(r["message_kind"]), r["email"]
            )
            for r in rows
        ]
    )
    delivered = world.deliveries()
    by_run: dict[str, dict[bool, set[str]]] = defaultdict(lambda: defaultdict(set))
    for key in settlement.unknown:
        by_run[key.workflow_id][delivered[key] > 0].add(key.email)
    for workflow_id, split in sorted(by_run.items()):
        both = split[True] & split[False]
        settlement.ambiguous += sorted(both)
        for was_delivered, flag in ((True, "--mark-sent"), (False, "--resend")):
            emails = sorted(split[was_delivered] - both)
            if emails:
                refusal = await _resolve(world, workflow_id, emails, flag)
                settlement.refused += [f"{flag} {len(emails)}: {refusal}"] if refusal else []
    for key in settlement.unknown:
        if key.email not in settlement.ambiguous:
            if delivered[key] > 0:
                settlement.marked_sent += 1
            else:
                settlement.resent += 1
    settlement.closed = await _closed(world)
    code, out, err = await world.cli("run", RITUAL, "--period", PERIOD, "--wait")
    settlement.rerun_output = f"exit {code}: {(out + err).strip()}"
    return settlement


async def _closed(world: World) -> bool:
    """Whether the report run ends once settled (a run may wait to resend whoever is released)."""
    handle = (await world.client()).get_workflow_handle(REPORT_ID)
    deadline = time.monotonic() + SETTLED_SECONDS
    while time.monotonic() < deadline:
        if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
            return True
        await asyncio.sleep(0.2)
    return False


async def _resolve(world: World, workflow_id: str, emails: list[str], flag: str) -> str:
    """'' when settled, else the command's one-line refusal (exit 1), kept as a finding."""
    code, _, err = await world.cli("ledger", "resolve", workflow_id, flag, "--email", *emails)
    if code not in (0, 1):
        raise RuntimeError(f"opsrhythm ledger resolve {workflow_id} {flag} exited {code}: {err}")
    return err.strip() if code else ""


@dataclass(frozen=True)
class Deliveries:
    intended: int
    made: int
    """Intended recipients SendGrid accepted at least once."""
    duplicated: int
    """Recipients SendGrid accepted more than once (for any message of the report run)."""
    other: int
    """The run's other emails (the owner's needs-attention notice): not counted as intended."""
    missing: int
    """Intended recipients SendGrid never accepted."""


def deliveries(world: World) -> Deliveries:
    intended = world.intended(REPORT_ID)
    counts = world.deliveries()
    ours = {key: n for key, n in counts.items() if key.workflow_id == REPORT_ID}
    return Deliveries(
        intended=len(intended),
        made=sum(1 for key in intended if ours.get(key, 0) > 0),
        duplicated=sum(1 for n in ours.values() if n > 1),
        other=sum(1 for key in ours if key not in intended),
        missing=sum(1 for key in intended if ours.get(key, 0) == 0),
    )
