"""The workflow of the ritual kind that tests/platform/test_ritual_kinds.py plugs in.

In a module of its own, so the workflow sandbox re-imports nothing but this."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform.models import RitualRunInput


@workflow.defn
class CheckinWorkflow:
    """It only says which ritual and period it was started for."""

    @workflow.run
    async def run(self, input: RitualRunInput) -> str:
        return f"{input.ritual_id} for {input.period}"
