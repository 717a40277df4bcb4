"""Worker cold start: OpsRhythm's worker against a bare temporalio worker, side by side.

Run from the repository root: ``python -m bench.worker_start [--runs N] [--rituals KIND,...]``.
Each run is a new process, timed from launch until the worker is polling (imports, config,
sandbox validation of the workflows, connection). With ``--rituals``, a worker of only those
kinds (``opsrhythm worker --rituals``) is timed too. Goal: a one-ritual worker at most 1.5x the
bare worker, peak RSS under 250 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from opsrhythm.platform.temporal_runtime import find_binary

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "examples" / "acme" / "opsrhythm.yaml"


def start_once(module: str, *args: str) -> tuple[float, float]:
    """Seconds until the child says it is ready, and its peak RSS in MB."""
    began = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", module, *args], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    elapsed = time.perf_counter() - began
    child.wait(timeout=30)
    if not line.startswith("ready "):
        raise SystemExit(f"{module} did not start: {line!r}")
    return elapsed, int(line.split()[1]) / 1024


async def main(runs: int, rituals: str | None) -> None:
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=find_binary("temporal"))
    address = env.client.service_client.config.target_host
    try:
        start_once("bench.bare_worker", address)  # warm the OS file cache for both sides
        bare = [start_once("bench.bare_worker", address) for _ in range(runs)]
        ours = [start_once("bench.opsrhythm_worker", address, str(CONFIG)) for _ in range(runs)]
        some = [
            start_once("bench.opsrhythm_worker", address, str(CONFIG), rituals)
            for _ in range(runs)
            if rituals
        ]
    finally:
        await env.shutdown()
    bare_s = statistics.median(seconds for seconds, _ in bare)
    ours_s = statistics.median(seconds for seconds, _ in ours)
    ours_rss = max(rss for _, rss in ours)
    bare_rss = max(rss for _, rss in bare)
    print(f"bare temporalio worker: {bare_s:.2f} s median of {runs}, peak RSS {bare_rss:.0f} MB")
    print(f"opsrhythm worker:       {ours_s:.2f} s median of {runs}, peak RSS {ours_rss:.0f} MB")
    print(f"ratio {ours_s / bare_s:.2f}x with every ritual, peak RSS goal < 250 MB")
    figures: dict[str, object] = {
        "bare_seconds": round(bare_s, 3),
        "opsrhythm_seconds": round(ours_s, 3),
        "ratio": round(ours_s / bare_s, 3),
        "opsrhythm_peak_rss_mb": round(ours_rss, 1),
        "bare_peak_rss_mb": round(bare_rss, 1),
        "runs": runs,
    }
    if some:
        some_s = statistics.median(seconds for seconds, _ in some)
        some_rss = max(rss for _, rss in some)
        print(f"worker of {rituals}: {some_s:.2f} s median of {runs}, peak RSS {some_rss:.0f} MB")
        print(f"ratio {some_s / bare_s:.2f}x with {rituals} (goal <= 1.5x with one ritual)")
        figures |= {
            "rituals": rituals,
            "rituals_seconds": round(some_s, 3),
            "rituals_ratio": round(some_s / bare_s, 3),
            "rituals_peak_rss_mb": round(some_rss, 1),
        }
    print(json.dumps(figures))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rituals", help="also time a worker of these kinds, e.g. kpi_report")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.runs, arguments.rituals))
