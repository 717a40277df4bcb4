"""``opsrhythm schedule sync``: the plan that makes the server's schedules match the config.

Only schedules whose id starts with ``opsrhythm-`` and whose memo says OpsRhythm manages them
are ever updated or deleted. Each configured schedule is read with ``describe`` (consistent);
only the search for leftovers uses the eventually consistent schedule listing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from temporalio.client import (
    Client,
    ScheduleAlreadyRunningError,
    ScheduleDescription,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from opsrhythm.platform.config import PlatformConfig
from opsrhythm.platform.schedules.spec import (
    MANAGED_MEMO,
    DesiredSchedule,
    desired_schedule,
    differences,
)
from opsrhythm.platform.schedules.times import SCHEDULE_PREFIX

PlanAction = Literal["create", "update", "unchanged", "delete", "keep"]
CHANGES: tuple[PlanAction, ...] = ("create", "update", "delete")


@dataclass(frozen=True)
class PlanItem:
    action: PlanAction
    schedule_id: str
    detail: str
    desired: DesiredSchedule | None = None


def desired_schedules(
    config: PlatformConfig, *, now: datetime, task_queue: str
) -> list[DesiredSchedule]:
    return [
        desired_schedule(config, ritual, now=now, task_queue=task_queue)
        for ritual in config.rituals
        if ritual.schedule is not None
    ]


async def plan_sync(
    client: Client, config: PlatformConfig, *, now: datetime, task_queue: str, prune: bool
) -> list[PlanItem]:
    plan: list[PlanItem] = []
    wanted = desired_schedules(config, now=now, task_queue=task_queue)
    for desired in wanted:
        current = await describe_or_none(client, desired.schedule_id)
        if current is None:
            plan.append(PlanItem("create", desired.schedule_id, desired.rule, desired))
            continue
        reasons = differences(desired, current)
        action: PlanAction = "update" if reasons else "unchanged"
        plan.append(
            PlanItem(action, desired.schedule_id, "; ".join(reasons) or desired.rule, desired)
        )
    known = {desired.schedule_id for desired in wanted}
    for leftover in await managed_schedule_ids(client):
        # The listing lags behind deletes; describe tells whether it still exists.
        if leftover in known or await describe_or_none(client, leftover) is None:
            continue
        if prune:
            plan.append(PlanItem("delete", leftover, "not in the config"))
        else:
            plan.append(PlanItem("keep", leftover, "not in the config; --prune deletes it"))
    return plan


async def apply_plan(client: Client, plan: list[PlanItem]) -> None:
    for item in plan:
        handle = client.get_schedule_handle(item.schedule_id)
        if item.action == "delete":
            await handle.delete()
        elif item.desired is not None and item.action == "create":
            try:
                await client.create_schedule(
                    item.schedule_id, item.desired.schedule, memo=MANAGED_MEMO
                )
            except ScheduleAlreadyRunningError:
                await _update(client, item.desired)
        elif item.desired is not None and item.action == "update":
            await _update(client, item.desired)


async def _update(client: Client, desired: DesiredSchedule) -> None:
    def keep_state(current: ScheduleUpdateInput) -> ScheduleUpdate:
        # Pausing is an operator's decision, not config: an update never unpauses.
        state = current.description.schedule.state
        return ScheduleUpdate(schedule=dataclasses.replace(desired.schedule, state=state))

    await client.get_schedule_handle(desired.schedule_id).update(keep_state)


def plan_lines(plan: list[PlanItem], *, dry_run: bool) -> list[str]:
    width = max((len(item.schedule_id) for item in plan), default=0)
    lines = [f"{item.action:<9}  {item.schedule_id:<{width}}  {item.detail}" for item in plan]
    counts = {action: sum(item.action == action for item in plan) for action in CHANGES}
    if not any(counts.values()):
        lines.append("No changes: the server's schedules match the config.")
    elif dry_run:
        lines.append(
            f"Dry run: {counts['create']} to create, {counts['update']} to update, "
            f"{counts['delete']} to delete; nothing was changed."
        )
    else:
        lines.append(
            f"Done: {counts['create']} created, {counts['update']} updated, "
            f"{counts['delete']} deleted."
        )
    return lines


async def describe_or_none(client: Client, schedule_id: str) -> ScheduleDescription | None:
    try:
        return await client.get_schedule_handle(schedule_id).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def managed_schedule_ids(client: Client) -> list[str]:
    found = []
    async for listed in await client.list_schedules():
        if listed.id.startswith(SCHEDULE_PREFIX):
            memo = await listed.memo()
            if memo.get("managed_by") == MANAGED_MEMO["managed_by"]:
                found.append(listed.id)
    return sorted(found)
