"""The owner-notice webhook: a Slack-compatible ``{"text": ...}`` POST, for when email fails.

The URL carries the webhook's secret, so it comes only from the environment variable that
``notify.webhook_url_env`` names, and no error message ever quotes it. Errors map onto
Temporal's retry rules as the SendGrid transport's do: 429, 5xx and an unreachable host retry,
other 4xx stop at once. No retry loop here: Temporal owns retries.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Mapping
from urllib.error import HTTPError, URLError

from temporalio.exceptions import ApplicationError

from opsrhythm.platform.config import Notify
from opsrhythm.platform.config_errors import ConfigError, ConfigProblem

TIMEOUT_SECONDS = 10.0
_BODY_LIMIT = 300


def webhook_url(notify: Notify | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The URL from the variable the config names; None without ``notify``. Read at worker
    start, so that a missing variable stops the worker in one line, not a notice later."""
    if notify is None:
        return None
    name = notify.webhook_url_env
    url = (os.environ if environ is None else environ).get(name, "").strip()
    problem = None
    if not url:
        problem = "is not set (notify.webhook_url_env names it for owner notices)"
    elif not url.startswith(("http://", "https://")):
        problem = "must hold an http:// or https:// URL (notify.webhook_url_env)"
    if problem:
        raise ConfigError("environment", [ConfigProblem(name, problem)])
    return url


def post_text(url: str, text: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            pass
    except HTTPError as error:
        said = error.read()[:_BODY_LIMIT].decode("utf-8", "replace").strip()
        detail = f"the webhook answered {error.code}" + (f": {said}" if said else "")
        raise ApplicationError(
            detail,
            type="WebhookRejected" if _permanent(error.code) else "WebhookError",
            non_retryable=_permanent(error.code),
        ) from None
    except URLError as error:
        raise ApplicationError(
            f"could not reach the webhook: {error.reason}", type="WebhookUnreachable"
        ) from None
    except OSError as error:  # a timeout reading the answer, a reset connection
        raise ApplicationError(
            f"the webhook gave no answer: {error!r}", type="WebhookError"
        ) from None


def _permanent(status: int) -> bool:
    return 400 <= status < 500 and status != 429
