"""The fake SendGrid refuses what SendGrid refuses and accepts what the official client builds."""

from __future__ import annotations

import base64
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from sendgrid.helpers.mail import (
    Asm,
    Attachment,
    Category,
    ClickTracking,
    ContentId,
    CustomArg,
    Disposition,
    FileContent,
    FileName,
    FileType,
    Mail,
    Personalization,
    To,
    TrackingSettings,
)

from tests.fake_sendgrid import DEFAULT_API_KEY, FakeSendGrid


@pytest.fixture
def server() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as server:
        yield server


def official_body(recipients: int = 3) -> dict[str, Any]:
    """A full message as ``sendgrid.helpers.mail`` builds it."""
    mail = Mail(
        from_email=("ops@acme.test", "OpsRhythm"),
        subject="KPI report October 2026",
        plain_text_content="Revenue is up.",
        html_content='<p>Revenue is up.</p><img src="cid:chart-1">',
    )
    for index in range(recipients):
        personalization = Personalization()
        personalization.add_to(To(f"person{index}@acme.test", f"Person {index}"))
        personalization.add_custom_arg(CustomArg("recipient_index", str(index)))
        mail.add_personalization(personalization, index=index)
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
    mail.add_attachment(
        Attachment(
            FileContent(png),
            FileName("chart.png"),
            FileType("image/png"),
            Disposition("inline"),
            ContentId("chart-1"),
        )
    )
    mail.add_category(Category("opsrhythm"))
    mail.add_custom_arg(CustomArg("workflow_id", "monthly-kpi-report-2026-10"))
    mail.tracking_settings = TrackingSettings(click_tracking=ClickTracking(False, False))
    mail.asm = Asm(42)
    body: dict[str, Any] = mail.get()
    return body


def post(
    server: FakeSendGrid, body: Any, key: str = DEFAULT_API_KEY, timeout: float = 5
) -> tuple[int, dict[str, str], Any]:
    """(status, headers, parsed error body or None)."""
    request = urllib.request.Request(
        server.url + "/v3/mail/send",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), None
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_a_message_from_the_official_client_is_accepted(server: FakeSendGrid) -> None:
    """Everything the official helpers emit for us passes the published schema."""
    assert 202 == post(server, official_body())[0]


def test_accepted_requests_are_recorded_per_recipient(server: FakeSendGrid) -> None:
    """Each recipient of an accepted request is listed with the subject."""
    post(server, official_body(2))
    subject = "KPI report October 2026"
    assert [("person0@acme.test", subject), ("person1@acme.test", subject)] == server.deliveries()


def test_a_wrong_api_key_is_refused(server: FakeSendGrid) -> None:
    """A bearer token other than the server's key gets 401 and nothing is recorded."""
    assert (401, []) == (post(server, official_body(), key="SG.other")[0], server.deliveries())


def test_a_schema_violation_gets_a_sendgrid_shaped_400(server: FakeSendGrid) -> None:
    """A body without 'from' is refused with SendGrid's error layout."""
    body = official_body()
    del body["from"]
    status, _, error = post(server, body)
    expected = {
        "errors": [{"message": "'from' is a required property", "field": None, "help": None}]
    }
    assert (400, expected) == (status, error)


def test_custom_args_must_be_an_object_of_strings(server: FakeSendGrid) -> None:
    """The schema's one flaw is patched: a non-string custom_args value is refused."""
    body = official_body()
    body["custom_args"] = {"attempt": 2}
    _, _, error = post(server, body)
    assert "custom_args.attempt" == error["errors"][0]["field"]


def test_more_than_1000_personalizations_are_refused(server: FakeSendGrid) -> None:
    """The schema's maxItems on personalizations is enforced."""
    status, _, error = post(server, official_body(1001))
    assert (400, "personalizations") == (status, error["errors"][0]["field"])


def test_more_than_1000_recipients_in_total_are_refused(server: FakeSendGrid) -> None:
    """Two personalizations of 501 addresses each break the per-request recipient limit."""
    body = official_body(0)
    body["personalizations"] = [
        {"to": [{"email": f"p{half}-{i}@acme.test"} for i in range(501)]} for half in range(2)
    ]
    status, _, error = post(server, body)
    assert (400, "personalizations") == (status, error["errors"][0]["field"])


def test_an_address_repeated_in_a_request_is_refused(server: FakeSendGrid) -> None:
    """The same address twice, in any case, is refused as SendGrid does."""
    body = official_body(1)
    body["personalizations"].append({"to": [{"email": "PERSON0@acme.test"}]})
    status, _, error = post(server, body)
    assert (400, "personalizations.1.to") == (status, error["errors"][0]["field"])


def test_more_than_10_categories_are_refused(server: FakeSendGrid) -> None:
    """The schema's category limit is enforced."""
    body = official_body()
    body["categories"] = [f"c{i}" for i in range(11)]
    status, _, error = post(server, body)
    assert (400, "categories") == (status, error["errors"][0]["field"])


def test_every_answer_carries_rate_limit_headers(server: FakeSendGrid) -> None:
    """X-RateLimit-Limit, -Remaining and -Reset come with an accepted request."""
    _, headers, _ = post(server, official_body())
    expected = {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}
    assert expected == expected & set(headers)


def test_a_scripted_429_says_when_the_limit_resets(server: FakeSendGrid) -> None:
    """fail_next(429, reset_in=...) answers 429 with the reset time that many seconds ahead."""
    server.fail_next(429, reset_in=30)
    status, headers, _ = post(server, official_body())
    assert (429, True) == (status, 29 <= int(headers["X-RateLimit-Reset"]) - time.time() <= 31)


def test_a_scripted_failure_can_wait_for_earlier_requests(server: FakeSendGrid) -> None:
    """fail_next(..., after=1) lets one request through, then fails the next."""
    server.fail_next(500, after=1)
    statuses = [post(server, official_body())[0] for _ in range(3)]
    assert [202, 500, 202] == statuses


def test_a_scripted_400_carries_the_given_message(server: FakeSendGrid) -> None:
    """The message passed to fail_next is what the client reads back."""
    server.fail_next(400, message="The from address does not match a verified Sender Identity.")
    _, _, error = post(server, official_body())
    assert (
        "The from address does not match a verified Sender Identity."
        == (error["errors"][0]["message"])
    )


def test_sandbox_mode_validates_but_delivers_nothing(server: FakeSendGrid) -> None:
    """A valid sandbox request gets 200 and reaches nobody, as at SendGrid."""
    body = official_body()
    body["mail_settings"] = {"sandbox_mode": {"enable": True}}
    assert (200, []) == (post(server, body)[0], server.deliveries())


def test_random_faults_depend_on_the_seed_and_the_request_not_the_order(
    server: FakeSendGrid,
) -> None:
    """Two servers with one seed give each request the same answers, in any arrival order."""
    bodies = [official_body(1 + n) for n in range(30)]
    server.faults(rate=0.3, kinds=("429", "500"), seed=7)
    forward = {len(b["personalizations"]): post(server, b)[0] for b in bodies}
    with FakeSendGrid() as other:
        other.faults(rate=0.3, kinds=("429", "500"), seed=7)
        backward = {len(b["personalizations"]): post(other, b)[0] for b in reversed(bodies)}
    assert (forward, True) == (backward, {429, 500, 202} == set(forward.values()))


def test_random_faults_strike_about_the_rate_asked(server: FakeSendGrid) -> None:
    """Over 200 requests, about 30% are answered with a fault, and each is listed."""
    server.faults(rate=0.3, kinds=("500",), seed=1)
    statuses = [post(server, official_body(1 + n % 50))[0] for n in range(200)]
    faults = statuses.count(500)
    assert (True, faults, 200 - faults) == (
        40 <= faults <= 80,
        len(server.injected()),
        len(server.delivered_requests()),
    )


def test_a_random_429_resets_one_or_two_seconds_ahead(server: FakeSendGrid) -> None:
    """X-RateLimit-Reset of a random 429 is epoch seconds, at most two seconds away."""
    server.faults(rate=1.0, kinds=("429",))
    status, headers, _ = post(server, official_body())
    assert (429, True) == (status, 0 < int(headers["X-RateLimit-Reset"]) - time.time() <= 3)


def test_a_random_timeout_records_the_delivery_then_outwaits_the_client(
    server: FakeSendGrid,
) -> None:
    """The client gives up, yet SendGrid has the request: the outcome is truly unknown."""
    server.faults(rate=1.0, kinds=("timeout",), hold=30)
    with pytest.raises((TimeoutError, socket.timeout)):
        post(server, official_body(2), timeout=0.5)
    expected = ["person0@acme.test", "person1@acme.test"]
    assert (expected, ["timeout"]) == (
        [email for email, _ in server.deliveries()],
        [fault.kind for fault in server.injected()],
    )


def test_scripted_answers_come_before_random_faults(server: FakeSendGrid) -> None:
    """fail_next still decides the next request while random faults are on."""
    server.faults(rate=1.0, kinds=("500",))
    server.fail_next(401)
    assert [401, 500] == [post(server, official_body())[0] for _ in range(2)]


def test_a_delayed_request_can_be_lost_instead_of_recorded(server: FakeSendGrid) -> None:
    """delay_next(..., record=False): the client times out and SendGrid has nothing."""
    server.delay_next(30, record=False)
    with pytest.raises((TimeoutError, socket.timeout)):
        post(server, official_body(), timeout=0.5)
    assert (1, []) == (server.received, server.deliveries())
