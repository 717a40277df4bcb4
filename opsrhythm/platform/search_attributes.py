"""Custom search attributes that let `temporal workflow list --query` filter ritual runs."""

from temporalio.common import SearchAttributeKey

RITUAL = SearchAttributeKey.for_keyword("Ritual")
PERIOD = SearchAttributeKey.for_keyword("Period")
ALL = (RITUAL, PERIOD)
SCHEDULED_START_TIME = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
