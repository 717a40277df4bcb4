"""Running `opsrhythm review ...` as the console script does, on a test's own client, with a
copy of the example config whose review has an id of its own (so its run ids are unique on
the shared server)."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import pytest
from temporalio.client import Client

import starter
from opsrhythm.platform.approvals.models import Contact
from opsrhythm.platform.cli import main_async
from opsrhythm.rituals.strategy_review.models import ReviewItemPlan
from tests.conftest import EXAMPLE_CONFIG

CHLOE = Contact(name="Chloé Dubois", email="chloe.dubois@acme.example")
GRACE = Contact(name="Grace Kim", email="grace.kim@acme.example")
ANA_OWNER = "ana.silva@acme.example"
ITEMS = [
    ReviewItemPlan(item_id="grow-revenue", kind="objective", title="Grow MRR", owner=CHLOE),
    ReviewItemPlan(item_id="reduce-churn", kind="objective", title="Churn", owner=GRACE),
]


def review_config(tmp_path: Path) -> tuple[Path, str]:
    """The example config with the review renamed; and the review's 2026-Q4 workflow id."""
    ritual = f"review-{uuid.uuid4().hex[:10]}"
    text = EXAMPLE_CONFIG.read_text().replace("id: quarterly-strategy-review", f"id: {ritual}")
    path = tmp_path / "opsrhythm.yaml"
    path.write_text(text)
    return path, f"{ritual}-2026-Q4"


async def no_server() -> Client:
    raise AssertionError("a bad argument must be refused before connecting")


async def review_cli(
    client: Client | None, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str, str]:
    async def connect() -> Client:
        assert client is not None
        return client

    context = dataclasses.replace(
        starter.context(), connect=connect if client is not None else no_server
    )
    code = await main_async(starter.commands(), argv, context)
    out, err = capsys.readouterr()
    return code, out, err
