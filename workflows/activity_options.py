"""Timeouts and retry policies of the rendering and sending activities, named once;
deterministic only.

Rendering heartbeats as it works (per audience, per recipient), so a worker that dies
mid-render is noticed within the heartbeat timeout and the activity is retried on another
worker, rather than waiting out its start-to-close timeout. Changing these values changes no
workflow command, so running workflows replay unchanged.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

# The ApplicationError type of rendering that a retry cannot fix (a template error, a bad id).
RENDER_ERROR = "RenderError"
RENDER_TIMEOUT = timedelta(minutes=2)
# One audience's email (its charts included) or one approver's email must render within it.
RENDER_HEARTBEAT = timedelta(seconds=30)
RENDER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    maximum_attempts=3,
    non_retryable_error_types=[RENDER_ERROR],
)

SEND_TIMEOUT = timedelta(minutes=5)
# The send activity heartbeats in the background during each provider request, so a killed
# worker costs this long before another worker resumes the send, not the 5-minute timeout.
SEND_HEARTBEAT = timedelta(seconds=15)
# Every email's send: a SendGrid outage or rate limit gets ten tries over about 14 minutes.
SEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=10,
)
