"""Every committed history replays against today's workflow code.

A workflow change that would break a run in flight (a new or removed activity, timer, child
or condition on a recorded path) fails here with a non-determinism error, before deploy. The
histories are recorded by ``tests/workflows/record_histories.py``; ``docs/reliability.md``
says how to change a workflow without breaking them.
"""

from __future__ import annotations

import importlib
import json
import pkgutil

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

import workflows
from tests.workflows.record_histories import HISTORIES, SCENARIOS


def _defined_workflows() -> list[type]:
    """Every ``@workflow.defn`` class in the ``workflows`` package: what the worker can run."""
    found: list[type] = []
    for info in pkgutil.iter_modules(workflows.__path__):
        module = importlib.import_module(f"workflows.{info.name}")
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and value.__module__ == module.__name__
            and hasattr(value, "__temporal_workflow_definition")
        ]
    return found


WORKFLOWS = _defined_workflows()
# The file name is the workflow id.
RECORDED = {path.stem: path.read_text() for path in sorted(HISTORIES.glob("*.json"))}


def workflow_type(text: str) -> str:
    started = json.loads(text)["events"][0]
    return str(started["workflowExecutionStartedEventAttributes"]["workflowType"]["name"])


@pytest.mark.parametrize("workflow_id", list(RECORDED))
async def test_committed_history_replays(workflow_id: str) -> None:
    """Today's code makes the same decisions as the code that recorded this run."""
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    await replayer.replay_workflow(WorkflowHistory.from_json(workflow_id, RECORDED[workflow_id]))


def test_every_scenario_and_workflow_type_has_a_history() -> None:
    """No recorded scenario is missing from the folder, and no workflow type in ``workflows/``
    goes unreplayed."""
    assert set(SCENARIOS) <= set(RECORDED)
    assert 4 <= len(WORKFLOWS)
    assert {w.__name__ for w in WORKFLOWS} == {workflow_type(t) for t in RECORDED.values()}
