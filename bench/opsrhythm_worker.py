"""The measured side of bench.worker_start: OpsRhythm's worker, built as `opsrhythm worker` does."""

from __future__ import annotations

import asyncio
import os
import resource
import sys

from temporalio.client import Client

from opsrhythm.config_loader import load_config
from opsrhythm.platform.failures import DATA_CONVERTER
from worker import build_worker


async def main(address: str, config_file: str) -> None:
    client = await Client.connect(address, data_converter=DATA_CONVERTER)
    async with build_worker(client, load_config(config_file), task_queue="bench-opsrhythm"):
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"ready {peak_kb}", flush=True)
    # Skip interpreter teardown: the SDK can abort there (sdk-python #300), which is noise here.
    os._exit(0)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
