"""Soak: SIGKILL the worker at N seeded points of a report with approval and a feedback import.

Real processes throughout: a dev server on a file, ``opsrhythm worker`` (killed with SIGKILL
and restarted after every kill), the fake SendGrid behind a proxy that can hold a request open,
a SQLite database, and the ``opsrhythm`` CLI for run, approve, feedback import, ledger unknown
and ledger resolve. The kill points (``tests/reliability/kill_plan.py``) cover gather, render,
the approval request, the wait for approval, the report's sends and the feedback chunks; each
kill after an activity started costs its heartbeat timeout (15-30 s) before the retry.
Run from the repository root: ``python -m bench.kill_soak [--kills 20] [--seed N]
[--recipients 2100] [--feedback-items 6000]``. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.reliability import kill_plan, kill_scenario
from tests.reliability.kill_counts import deliveries, settle
from tests.reliability.kill_world import world


async def soak(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    points = kill_plan.plan(
        args.seed, args.kills, recipients=args.recipients, feedback_items=args.feedback_items
    )
    began = time.monotonic()
    with world(
        folder, recipients=args.recipients, feedback_items=args.feedback_items, seed=args.seed
    ) as w:
        outcome = await kill_scenario.run(w, points, overlap=False)
        before = deliveries(w)
        settlement = await settle(w)
        after = deliveries(w)
        expected, stored, doubled = w.feedback_counts()
    wall = time.monotonic() - began
    counted = [kill for kill in outcome.kills if kill.in_flight]
    for kill in outcome.kills:
        print(f"  kill at {kill.at_seconds:6.1f} s  {kill.point.label():55}  -> {kill.landed}")
    for point in outcome.skipped:
        print(f"  not reached: {point.label()}")
    unknown_report = [
        key for key in settlement.unknown if key.workflow_id == kill_scenario.REPORT_ID
    ]
    print(f"kills made while a run was in flight: {len(counted)} of {len(points)} planned")
    print(f"report ({args.recipients} in 'everyone' plus the example's audiences and 2 approvers):")
    print(
        f"  deliveries intended {before.intended}, made {before.made}, duplicated "
        f"{before.duplicated}, other emails of the run {before.other}, missing {before.missing}"
    )
    print(
        f"  unknown before settling {len(unknown_report)} (all runs: {len(settlement.unknown)}):"
        f" marked sent {settlement.marked_sent}, resent {settlement.resent}, ambiguous "
        f"{len(settlement.ambiguous)}"
    )
    print(
        f"  after settling: made {after.made}, duplicated {after.duplicated}, "
        f"missing {after.missing}"
    )
    print(
        f"  run --wait before settling: exit {outcome.report_code}; run ended after settling: "
        f"{settlement.closed}; run --wait after: {settlement.rerun_output.splitlines()[0]}"
    )
    print(
        f"feedback: expected {expected}, stored {stored}, doubled {doubled}; import: "
        f"exit {outcome.import_code}, "
        f"{outcome.import_output.splitlines()[-1] if outcome.import_output else '-'}"
    )
    print(f"wall time {wall:.1f} s")
    return {
        "seed": args.seed,
        "kills_planned": len(points),
        "kills_made": len(counted),
        "kills_by_step": dict(Counter(kill.point.target for kill in counted)),
        "kills_landed": [[kill.point.label(), list(kill.landed)] for kill in outcome.kills],
        "not_reached": [point.label() for point in outcome.skipped],
        "deliveries_intended": before.intended,
        "deliveries_made": before.made,
        "deliveries_duplicated": before.duplicated,
        "other_emails_of_the_run": before.other,
        "deliveries_missing_before_settling": before.missing,
        "unknown_before_settling": len(unknown_report),
        "unknown_marked_sent": settlement.marked_sent,
        "unknown_resent": settlement.resent,
        "unknown_ambiguous": len(settlement.ambiguous),
        "resolve_refused": settlement.refused,
        "report_wait_exit_before_settling": outcome.report_code,
        "report_ended_after_settling": settlement.closed,
        "deliveries_made_after_settling": after.made,
        "deliveries_duplicated_after_settling": after.duplicated,
        "deliveries_missing_after_settling": after.missing,
        "feedback_import_exit": outcome.import_code,
        "feedback_expected": expected,
        "feedback_stored": stored,
        "feedback_doubled": doubled,
        "wall_seconds": round(wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--recipients", type=int, default=2100)
    parser.add_argument("--feedback-items", type=int, default=6000)
    parser.add_argument("--keep", help="keep the run's files (logs, databases) in this folder")
    args = parser.parse_args()
    if args.keep:
        folder = Path(args.keep)
        folder.mkdir(parents=True, exist_ok=True)
        figures = asyncio.run(soak(args, folder))
    else:
        with tempfile.TemporaryDirectory(prefix="kill-soak-") as scratch:
            figures = asyncio.run(soak(args, Path(scratch)))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
