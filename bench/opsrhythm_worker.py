"""The measured side of bench.worker_start: OpsRhythm's worker, built as `opsrhythm worker` does."""

from __future__ import annotations

import asyncio
import os
import resource
import sys

from temporalio.client import Client

from opsrhythm.config_loader import load_config
from opsrhythm.platform.cli_args import chosen_kinds
from opsrhythm.platform.failures import DATA_CONVERTER
from opsrhythm.registry import RITUAL_KINDS
from worker import build_worker


async def main(address: str, config_file: str, rituals: str | None) -> None:
    client = await Client.connect(address, data_converter=DATA_CONVERTER)
    kinds = chosen_kinds(RITUAL_KINDS, rituals)
    config = load_config(config_file)
    async with build_worker(client, config, kinds=kinds, task_queue="bench-opsrhythm"):
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"ready {peak_kb}", flush=True)
    # Skip interpreter teardown: the SDK can abort there (sdk-python #300), which is noise here.
    os._exit(0)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None))
