"""What ties an approval to its run: the run id in the status and the context, and the id of
the Update that recorded each decision (the client finds who called by it)."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from opsrhythm.platform.approvals.models import ApprovalDecision
from opsrhythm.rituals.kpi_report.report_draft import report_context
from tests.workflows.approval_fakes import (
    DEV,
    ApprovalFakes,
    approval,
    approval_state,
    running_report,
)
from tests.workflows.test_kpi_report import plan_for
from workflows.kpi_report import KpiReportWorkflow


async def test_each_decision_keeps_its_update_id_and_the_status_its_run(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """The audit entry of a decision carries the id of the ``decide`` Update that recorded it;
    the status names the run that asks."""
    fakes = ApprovalFakes(approval(approvers=[DEV]))
    async with running_report(time_skipping_env.client, fakes) as handle:
        pending = await approval_state(handle)
        status = await handle.execute_update(
            KpiReportWorkflow.decide,
            ApprovalDecision(approver=DEV.email, decision="approve", channel="cli"),
            id="decision-by-dev",
        )
        await handle.result()
    [entry] = status.audit
    assert ("decision-by-dev", handle.result_run_id) == (entry.update_id, pending.run_id)
    [request] = fakes.approval_emails
    assert handle.result_run_id == request.context.run_id


def test_report_context_names_the_run() -> None:
    """The KPI report's approval context carries the run id it is given (links name it)."""
    context = report_context("monthly-kpi-report-2026-10", plan_for("2026-10"), "run-1")
    assert ("run-1", "") == (context.run_id, report_context("w", plan_for("2026-10")).run_id)
