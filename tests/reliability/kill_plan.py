"""Where to SIGKILL the worker: seeded kill points over every step of a report and an import.

A point names a step and how to hit it. Sends are hit exactly, by a ``SendGridGate`` hold on
the nth request of an audience (held before or after SendGrid accepted it); gather, render,
the wait for approval and feedback chunks are hit at a seeded delay after the step is seen
running (a chunk optionally only once it has heartbeated its first sub-batch). Points are
only planned where the activity has an attempt to spare: gather and render get 3 attempts, so
at most 2 kills each; a feedback chunk gets 5, and at most 2 kills are planned per chunk.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from tests.reliability.kill_world import APPROVAL_REQUEST

Target = Literal[
    "gather", "render", "approval-send", "awaiting-approval", "report-send", "feedback-chunk"
]
ORDER: tuple[Target, ...] = (
    "gather",
    "render",
    "approval-send",
    "awaiting-approval",
    "report-send",
    "feedback-chunk",
)
BATCH = 1000
CHUNK = 1000
SMALL_AUDIENCES = ("leadership", "growth-squad", "retention-squad", "sales", "support")


@dataclass(frozen=True)
class KillPoint:
    target: Target
    audience: str = ""
    message: str = ""
    nth: int = 1
    """Sends: the nth request of that audience and message, across attempts. Chunks: which."""
    deliver: bool = True
    """Sends: let SendGrid accept the request before the kill."""
    delay: float = 0.0
    after_heartbeat: bool = False

    def label(self) -> str:
        if self.target in ("report-send", "approval-send"):
            how = "accepted by SendGrid" if self.deliver else "before SendGrid"
            return f"{self.target} {self.audience} request {self.nth} ({how})"
        if self.target == "feedback-chunk":
            when = "after its first heartbeat" if self.after_heartbeat else "at its start"
            return f"feedback chunk {self.nth} {when} + {self.delay:.2f} s"
        return f"{self.target} + {self.delay:.2f} s"


def report_send(audience: str, nth: int, *, deliver: bool) -> KillPoint:
    return KillPoint("report-send", audience, "report", nth, deliver)


def plan(seed: int, kills: int, *, recipients: int, feedback_items: int) -> list[KillPoint]:
    """``kills`` points, at least one per step, in the order the steps run."""
    rng = random.Random(seed)
    slots: dict[Target, list[KillPoint]] = {
        "gather": [KillPoint("gather", delay=rng.uniform(0.1, 0.6)) for _ in range(2)],
        "render": [KillPoint("render", delay=rng.uniform(0.1, 1.0)) for _ in range(2)],
        "approval-send": [KillPoint("approval-send", *APPROVAL_REQUEST, 1, rng.random() < 0.5)],
        "awaiting-approval": [
            KillPoint("awaiting-approval", delay=rng.uniform(0.0, 1.0)) for _ in range(2)
        ],
        # A small audience's only request comes at once, with the first wave: before 'everyone'.
        "report-send": [
            report_send(rng.choice(SMALL_AUDIENCES), 1, deliver=rng.random() < 0.5),
            *(
                report_send("everyone", nth, deliver=rng.random() < 0.5)
                for nth in range(2, -(-recipients // BATCH) + 1)
            ),
        ],
        "feedback-chunk": [
            KillPoint("feedback-chunk", nth=chunk, delay=rng.uniform(0.0, 0.3), after_heartbeat=h)
            for chunk in range(1, -(-feedback_items // CHUNK) + 1)
            for h in (False, True)
        ],
    }
    available = sum(len(points) for points in slots.values())
    if kills > available:
        raise ValueError(
            f"{kills} kills need more steps than {available}: raise --recipients "
            f"(a point per {BATCH}) or --feedback-items (two per {CHUNK})"
        )
    chosen = [points.pop(rng.randrange(len(points))) for points in slots.values()]
    rest = [point for points in slots.values() for point in points]
    chosen += rng.sample(rest, max(0, kills - len(chosen)))
    return sorted(
        chosen,
        key=lambda p: (ORDER.index(p.target), p.audience == "everyone", p.nth, p.after_heartbeat),
    )
