"""The background heartbeat that covers one slow, blocking step of an activity."""

from __future__ import annotations

import threading
import time

from temporalio import activity
from temporalio.testing import ActivityEnvironment

from activities.progress import heartbeating


@activity.defn
def slow_step() -> str:
    with heartbeating("querying", every=0.05):
        time.sleep(0.3)
    return "done"


def test_a_slow_blocking_step_keeps_heartbeating_then_stops() -> None:
    beats: list[object] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details[0])
    assert "done" == env.run(slow_step)
    settled = len(beats)
    time.sleep(0.15)
    assert settled >= 3
    assert {"querying"} == set(beats)
    assert settled == len(beats)
    assert not any(t.name == "opsrhythm-heartbeat" for t in threading.enumerate())


def test_outside_an_activity_it_does_nothing() -> None:
    with heartbeating("querying", every=0.01):
        time.sleep(0.05)
    assert not any(t.name == "opsrhythm-heartbeat" for t in threading.enumerate())
