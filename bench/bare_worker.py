"""The baseline for bench.worker_start: a bare temporalio worker with one trivial workflow."""

from __future__ import annotations

import asyncio
import os
import resource
import sys

from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import Worker


@workflow.defn
class TrivialWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return f"Hello, {name}"


async def main(address: str) -> None:
    client = await Client.connect(address)
    async with Worker(client, task_queue="bench-bare", workflows=[TrivialWorkflow]):
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"ready {peak_kb}", flush=True)
    # Skip interpreter teardown: the SDK can abort there (sdk-python #300), which is noise here.
    os._exit(0)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
