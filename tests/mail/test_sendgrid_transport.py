"""The SendGrid transport against the fake API: batching, request contents, error mapping."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta

import pytest
from temporalio.exceptions import ApplicationError

from opsrhythm.platform.config import EmailSettings
from opsrhythm.platform.mail.contract import OUTCOME_UNKNOWN, MessageTags
from opsrhythm.platform.mail.sendgrid_transport import SendGridTransport
from opsrhythm.platform.models import InlineImage, Recipient, RenderedEmail
from tests.fake_sendgrid import DEFAULT_API_KEY, FakeSendGrid

SETTINGS = EmailSettings(
    from_email="ops@acme.test",
    from_name="Acme Ops",
    reply_to="pm@acme.test",
    unsubscribe_group_id=42,
)
TAGS = MessageTags(
    categories=["opsrhythm", "monthly-kpis"],
    custom_args={"ritual": "monthly-kpis", "workflow_id": "monthly-kpi-report-2026-10"},
)
MESSAGE = RenderedEmail(
    subject="KPI report: October 2026",
    html='<p>Revenue is up.</p><img src="cid:chart-revenue">',
    text="Revenue is up.",
    inline_images=[
        InlineImage(
            content_id="chart-revenue",
            filename="revenue.png",
            content_base64=base64.b64encode(b"\x89PNG\r\n\x1a\n").decode(),
        )
    ],
)


def people(count: int) -> list[Recipient]:
    return [Recipient(name=f"Person {i}", email=f"p{i}@acme.test") for i in range(count)]


@pytest.fixture
def server() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as server:
        yield server


@pytest.fixture
def transport(server: FakeSendGrid) -> SendGridTransport:
    return SendGridTransport(DEFAULT_API_KEY, SETTINGS, host=server.url, timeout_seconds=2)


def failure(transport: SendGridTransport, recipients: int = 1) -> ApplicationError:
    with pytest.raises(ApplicationError) as raised:
        transport.send(MESSAGE, people(recipients), TAGS)
    return raised.value


def test_2500_recipients_go_out_in_3_accepted_requests(
    server: FakeSendGrid, transport: SendGridTransport
) -> None:
    """Batches of at most 1000, each valid against SendGrid's schema, reach everyone."""
    transport.send(MESSAGE, people(2500), TAGS)
    sizes = [len(body["personalizations"]) for body in server.delivered_requests()]
    assert ([1000, 1000, 500], 3) == (sizes, server.received)


def test_each_recipient_has_a_personalization_of_their_own(
    server: FakeSendGrid, transport: SendGridTransport
) -> None:
    """Nobody sees another recipient's address."""
    transport.send(MESSAGE, people(3), TAGS)
    body = server.delivered_requests()[0]
    assert [[{"email": f"p{i}@acme.test", "name": f"Person {i}"}] for i in range(3)] == [
        p["to"] for p in body["personalizations"]
    ]


def test_a_repeated_address_is_sent_once(
    server: FakeSendGrid, transport: SendGridTransport
) -> None:
    """The same address in another case is dropped before the request."""
    twice = [
        Recipient(name="Ann", email="ann@acme.test"),
        Recipient(name="Ann", email="ANN@acme.test"),
    ]
    transport.send(MESSAGE, twice, TAGS)
    assert [("ann@acme.test", MESSAGE.subject)] == server.deliveries()


def test_the_request_carries_the_message_settings(
    server: FakeSendGrid, transport: SendGridTransport
) -> None:
    """Sender, reply-to, inline chart, categories, custom_args, tracking and ASM are all set."""
    transport.send(MESSAGE, people(1), TAGS)
    body = server.delivered_requests()[0]
    assert {
        "from": {"email": "ops@acme.test", "name": "Acme Ops"},
        "reply_to": {"email": "pm@acme.test"},
        "attachment": ("inline", "chart-revenue"),
        "categories": {"opsrhythm", "monthly-kpis"},
        "custom_args": TAGS.custom_args,
        "click_tracking": {"enable": False, "enable_text": False},
        "asm": {"group_id": 42},
    } == {
        "from": body["from"],
        "reply_to": body["reply_to"],
        "attachment": (body["attachments"][0]["disposition"], body["attachments"][0]["content_id"]),
        "categories": set(body["categories"]),
        "custom_args": body["custom_args"],
        "click_tracking": body["tracking_settings"]["click_tracking"],
        "asm": body["asm"],
    }


def test_categories_are_capped_at_ten(server: FakeSendGrid, transport: SendGridTransport) -> None:
    """Eleven tags still make an accepted request carrying the first ten."""
    many = MessageTags(categories=[f"c{i}" for i in range(11)])
    transport.send(MESSAGE, people(1), many)
    assert {f"c{i}" for i in range(10)} == set(server.delivered_requests()[0]["categories"])


def test_a_rate_limit_retries_after_sendgrids_reset_time(
    server: FakeSendGrid, transport: SendGridTransport
) -> None:
    """429 is retryable, with next_retry_delay taken from X-RateLimit-Reset."""
    server.fail_next(429, reset_in=5)
    error = failure(transport)
    delay = error.next_retry_delay or timedelta(0)
    assert (False, True) == (
        error.non_retryable,
        timedelta(seconds=4) <= delay <= timedelta(seconds=6),
    )


def test_a_server_error_is_retryable(server: FakeSendGrid, transport: SendGridTransport) -> None:
    """500 leaves the retry to Temporal."""
    server.fail_next(500)
    assert False is failure(transport).non_retryable


def test_a_bad_request_is_permanent_and_quotes_sendgrid(
    server: FakeSendGrid, transport: SendGridTransport
) -> None:
    """400 is non-retryable and its message carries SendGrid's own explanation."""
    server.fail_next(400, message="The from address does not match a verified Sender Identity.")
    error = failure(transport)
    assert (True, True) == (
        error.non_retryable,
        "does not match a verified Sender Identity" in str(error),
    )


def test_a_bad_api_key_is_permanent_and_never_quoted(server: FakeSendGrid) -> None:
    """401 is non-retryable and the key appears nowhere in the error."""
    secret = "SG.secret-that-must-not-leak"
    error = failure(SendGridTransport(secret, SETTINGS, host=server.url))
    assert (True, False) == (error.non_retryable, secret in repr(error) + str(error.details))


def test_an_unreachable_host_is_retryable() -> None:
    """A refused connection means nothing was sent: retry."""
    transport = SendGridTransport(DEFAULT_API_KEY, SETTINGS, host="http://127.0.0.1:9")
    error = failure(transport)
    assert (False, "SendGridUnreachable") == (error.non_retryable, error.type)


def test_no_answer_is_an_unknown_outcome(server: FakeSendGrid) -> None:
    """A request that timed out after it was sent is typed as possibly delivered."""
    server.delay_next(1.0)
    transport = SendGridTransport(DEFAULT_API_KEY, SETTINGS, host=server.url, timeout_seconds=0.2)
    error = failure(transport)
    assert (False, OUTCOME_UNKNOWN) == (error.non_retryable, error.type)


def test_a_refusal_carries_its_status(server: FakeSendGrid, transport: SendGridTransport) -> None:
    """The status is the error's detail: the SLA sweep tells 401/403 (every email) from 400."""
    server.fail_next(403)
    assert (403,) == tuple(failure(transport).details)
