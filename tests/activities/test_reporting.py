"""Tests for the render_report activity around the report renderer."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.reporting import ReportingActivities
from opsrhythm.platform import resources
from opsrhythm.rituals.kpi_report.rendering import ReportRenderer
from tests.kpi_report_samples import GROWTH, REVENUE, report_input


def test_renders_one_message_per_audience(tmp_path: Path) -> None:
    """The activity returns the archived message of every audience."""
    activities = ReportingActivities(ReportRenderer(resources.templates_dir(), tmp_path))
    result = ActivityEnvironment().run(activities.render_report, report_input())
    expected = ["leadership", "growth", "support"]
    assert expected == [m.audience_id for m in result.messages]


def test_inconsistent_input_fails_without_retry(tmp_path: Path) -> None:
    """A permanent rendering problem is a non-retryable application error."""
    activities = ReportingActivities(ReportRenderer(resources.templates_dir(), tmp_path))
    with pytest.raises(ApplicationError) as raised:
        ActivityEnvironment().run(activities.render_report, report_input([GROWTH], [REVENUE]))
    expected = (True, "RenderError")
    assert expected == (raised.value.non_retryable, raised.value.type)


def test_heartbeats_after_each_audience(tmp_path: Path) -> None:
    """A worker lost mid-render is noticed within the heartbeat timeout, not the activity's."""
    activities = ReportingActivities(ReportRenderer(resources.templates_dir(), tmp_path))
    beats: list[object] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details[0])
    env.run(activities.render_report, report_input())
    assert ["leadership", "growth", "support"] == beats
