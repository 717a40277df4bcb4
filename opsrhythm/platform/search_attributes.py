"""Custom search attributes that let `temporal workflow list --query` filter ritual runs."""

from temporalio.common import SearchAttributeKey

RITUAL = SearchAttributeKey.for_keyword("Ritual")
PERIOD = SearchAttributeKey.for_keyword("Period")
STEP = SearchAttributeKey.for_keyword("Step")
"""The run's current step, as the status query names it: `Step = 'awaiting approval'`."""
ALL = (RITUAL, PERIOD, STEP)
SCHEDULED_START_TIME = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
