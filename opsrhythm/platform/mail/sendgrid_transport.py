"""The SendGrid transport: the official client, one personalization per recipient.

Recipients never see each other: each has a personalization of their own, at most 1000 to a
request. Errors map onto Temporal's retry rules: 429 (after SendGrid's reset time), 5xx and
unreachable hosts retry; other 4xx stop with SendGrid's own message; a request that failed after
it was sent is typed OUTCOME_UNKNOWN. No retry loop here: Temporal owns retries.
"""

from __future__ import annotations

import http.client
import json
import logging
import mimetypes
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal
from urllib.error import URLError

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    Asm,
    Attachment,
    Category,
    ClickTracking,
    Content,
    ContentId,
    CustomArg,
    Disposition,
    FileContent,
    FileName,
    FileType,
    From,
    Mail,
    ReplyTo,
    Subject,
    To,
    TrackingSettings,
)
from temporalio.exceptions import ApplicationError

from opsrhythm.platform.config import EmailSettings
from opsrhythm.platform.mail.contract import (
    MAX_RECIPIENTS_PER_REQUEST,
    OUTCOME_UNKNOWN,
    MessageTags,
    unique_recipients,
)
from opsrhythm.platform.models import Recipient, RenderedEmail

DEFAULT_HOST = "https://api.sendgrid.com"
MAX_CATEGORIES = 10
_MAX_RETRY_DELAY = timedelta(minutes=15)
_MESSAGE_LIMIT = 500


class SendGridTransport:
    name: Literal["sendgrid"] = "sendgrid"

    def __init__(
        self,
        api_key: str,
        settings: EmailSettings,
        host: str | None = None,
        *,
        timeout_seconds: float = 30.0,
    ) -> None:
        if not api_key.strip():
            raise ValueError("the SendGrid API key is empty")
        self._settings = settings
        self.host = host or DEFAULT_HOST
        self._client = SendGridAPIClient(api_key=api_key.strip(), host=self.host)
        # Without a timeout a stalled connection would hold the activity until its own timeout.
        self._client.client.timeout = timeout_seconds
        # python_http_client logs request headers, the API key among them, at DEBUG level.
        logging.getLogger("python_http_client.client").setLevel(logging.INFO)

    def send(self, message: RenderedEmail, recipients: list[Recipient], tags: MessageTags) -> None:
        """One request per 1000 recipients; a failure stops the rest (callers batch to track)."""
        unique = unique_recipients(recipients)
        for start in range(0, len(unique), MAX_RECIPIENTS_PER_REQUEST):
            body = self.request_body(
                message, unique[start : start + MAX_RECIPIENTS_PER_REQUEST], tags
            )
            self._post(body)

    def request_body(
        self, message: RenderedEmail, recipients: list[Recipient], tags: MessageTags
    ) -> dict[str, Any]:
        """The Mail Send JSON for one request, built with the official helpers."""
        if not message.text and not message.html:
            raise ApplicationError("the email has no body", type="InvalidEmail", non_retryable=True)
        settings = self._settings
        mail = Mail()
        mail.from_email = From(settings.from_email, settings.from_name)
        if settings.reply_to:
            mail.reply_to = ReplyTo(settings.reply_to)
        mail.subject = Subject(message.subject)
        if message.text:
            mail.add_content(Content("text/plain", message.text))
        if message.html:
            mail.add_content(Content("text/html", message.html))
        for image in message.inline_images:
            mail.add_attachment(
                Attachment(
                    FileContent(image.content_base64),
                    FileName(image.filename),
                    FileType(_image_type(image.filename)),
                    Disposition("inline"),
                    ContentId(image.content_id),
                )
            )
        for category in list(dict.fromkeys(c for c in tags.categories if c))[:MAX_CATEGORIES]:
            mail.add_category(Category(category))
        for key, value in tags.custom_args.items():
            mail.add_custom_arg(CustomArg(key, value))
        if tags.disable_click_tracking:
            mail.tracking_settings = TrackingSettings(click_tracking=ClickTracking(False, False))
        if settings.unsubscribe_group_id is not None:
            mail.asm = Asm(settings.unsubscribe_group_id)
        body: dict[str, Any] = mail.get()
        # The helper's Personalization costs a third of a 1,000-recipient send; a personalization
        # holding just its To is the same JSON.
        body["personalizations"] = [
            {"to": [To(recipient.email, recipient.name or None).get()]} for recipient in recipients
        ]
        return body

    def _post(self, body: dict[str, Any]) -> None:
        count = len(body["personalizations"])
        try:
            self._client.send(body)
        except HTTPError as error:
            raise _http_failure(error) from None
        except URLError as error:
            raise ApplicationError(
                f"could not reach SendGrid: {error.reason}", type="SendGridUnreachable"
            ) from None
        except (OSError, http.client.HTTPException) as error:
            raise ApplicationError(
                f"SendGrid gave no answer to a request for {count} recipients, which may have "
                f"been delivered: {error!r}",
                type=OUTCOME_UNKNOWN,
            ) from None


def _http_failure(error: HTTPError) -> ApplicationError:
    status = int(error.status_code)
    said = _sendgrid_messages(error.body)
    if status == 429:
        return ApplicationError(
            f"SendGrid rate limit reached (429){said}",
            type="SendGridRateLimited",
            next_retry_delay=_reset_delay(error.headers),
        )
    if status >= 500:
        return ApplicationError(f"SendGrid server error ({status}){said}", type="SendGridError")
    # The status rides along as the error's detail: 401 and 403 refuse every email, 400 one.
    return ApplicationError(
        f"SendGrid refused the email ({status}){said}",
        status,
        type="SendGridRejected",
        non_retryable=True,
    )


def _sendgrid_messages(body: bytes | str | None) -> str:
    """SendGrid's own explanation from an error body: ': message; message', or ''."""
    try:
        errors = json.loads(body or b"{}").get("errors") or []
        messages = [str(e["message"]) for e in errors if isinstance(e, dict) and e.get("message")]
    except (ValueError, AttributeError, TypeError):
        messages = []
    return f": {'; '.join(messages)[:_MESSAGE_LIMIT]}" if messages else ""


def _reset_delay(headers: Mapping[str, str] | None) -> timedelta | None:
    try:
        reset_at = float((headers or {}).get("X-RateLimit-Reset", ""))
    except ValueError:
        return None
    wait = timedelta(seconds=reset_at - time.time())
    return min(max(wait, timedelta(seconds=1)), _MAX_RETRY_DELAY)


def _image_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "image/png"
