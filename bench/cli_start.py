"""CLI start-up: ``opsrhythm --help`` against ``pip --help``, side by side.

Run from the repository root: ``python -m bench.cli_start [--runs N]``. Each run is a new process
of the console script beside the running interpreter, timed from launch to exit, the two taking
turns; one untimed run of each warms the OS file cache first. Goal: at most 0.5x pip, the tool
a user compares a command-line tool's start-up with. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL = 0.5
BIN = Path(sys.executable).parent


def seconds(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - began


def medians(commands: list[list[str]], runs: int) -> list[float]:
    """Each command's median; the commands take turns, so a busy moment hits them alike."""
    for command in commands:
        seconds(command)  # warm-up, untimed
    timings: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for command, timing in zip(commands, timings, strict=True):
            timing.append(seconds(command))
    return [statistics.median(timing) for timing in timings]


def script(name: str) -> str:
    path = BIN / name
    if not path.exists():
        raise SystemExit(f"{path} not found: install the project in this venv (pip install -e .)")
    return str(path)


def main(runs: int) -> None:
    ours, pip = medians([[script("opsrhythm"), "--help"], [script("pip"), "--help"]], runs)
    ratio = ours / pip
    print(f"opsrhythm --help: {ours * 1000:.0f} ms median of {runs}")
    print(f"pip --help:       {pip * 1000:.0f} ms median of {runs}")
    print(f"ratio {ratio:.2f}x (goal <= {GOAL}x): {'met' if ratio <= GOAL else 'NOT met'}")
    figures = {
        "opsrhythm_seconds": round(ours, 4),
        "pip_seconds": round(pip, 4),
        "ratio": round(ratio, 3),
        "goal": GOAL,
        "met": ratio <= GOAL,
        "runs": runs,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    main(parser.parse_args().runs)
