"""The outbox writes one readable .eml per recipient and a browsable, escaped index."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import quote

import pytest
from temporalio.exceptions import ApplicationError

from opsrhythm.platform.config import EmailSettings
from opsrhythm.platform.mail.contract import MessageTags
from opsrhythm.platform.mail.outbox import INDEX_FILE, OutboxTransport, write_index
from opsrhythm.platform.models import InlineImage, Recipient, RenderedEmail

PNG = b"\x89PNG\r\n\x1a\nfake chart"
SETTINGS = EmailSettings(from_email="ops@acme.test", from_name="Acme Ops", reply_to="pm@acme.test")
TAGS = MessageTags(
    categories=["opsrhythm", "monthly-kpis"],
    custom_args={
        "ritual": "monthly-kpis",
        "period": "2026-10",
        "audience": "leadership",
        "workflow_id": "monthly-kpi-report-2026-10",
        "message": "report",
    },
)
ANN = Recipient(name="Ann Lee", email="ann@acme.test")
BOB = Recipient(name="Bob Roy", email="bob@acme.test")


def report(subject: str = "KPI report: October 2026") -> RenderedEmail:
    return RenderedEmail(
        subject=subject,
        html='<p>Revenue is up.</p><img src="cid:chart-revenue">',
        text="Revenue is up.",
        inline_images=[
            InlineImage(
                content_id="chart-revenue",
                filename="revenue.png",
                content_base64=base64.b64encode(PNG).decode(),
            )
        ],
    )


def read(path: Path) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(message, EmailMessage)
    return message


def emails(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.eml"))


def test_each_recipient_gets_their_own_eml(tmp_path: Path) -> None:
    """Two recipients, two files, each addressed to one person only."""
    OutboxTransport(tmp_path, SETTINGS).send(report(), [ANN, BOB], TAGS)
    assert ["Ann Lee <ann@acme.test>", "Bob Roy <bob@acme.test>"] == [
        str(read(path)["To"]) for path in emails(tmp_path)
    ]


def test_eml_parses_back_with_its_headers(tmp_path: Path) -> None:
    """From, Reply-To, Subject, Date and Message-ID survive a round trip."""
    OutboxTransport(tmp_path, SETTINGS).send(report(), [ANN], TAGS)
    message = read(emails(tmp_path)[0])
    headers = (message["From"], message["Reply-To"], message["Subject"])
    assert (("Acme Ops <ops@acme.test>", "pm@acme.test", "KPI report: October 2026"), True) == (
        headers,
        bool(message["Date"] and str(message["Message-ID"]).endswith("@acme.test>")),
    )


def test_eml_carries_text_and_html(tmp_path: Path) -> None:
    """A mail client finds both the plain text and the HTML body."""
    OutboxTransport(tmp_path, SETTINGS).send(report(), [ANN], TAGS)
    message = read(emails(tmp_path)[0])
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    assert ("Revenue is up.\n", True) == (
        text.get_content(),
        "cid:chart-revenue" in html.get_content(),
    )


def test_inline_image_is_attached_under_its_content_id(tmp_path: Path) -> None:
    """The chart is an inline PNG whose Content-ID matches the cid: in the HTML."""
    OutboxTransport(tmp_path, SETTINGS).send(report(), [ANN], TAGS)
    images = [
        (part["Content-ID"], part.get_content_disposition(), part.get_content())
        for part in read(emails(tmp_path)[0]).walk()
        if part.get_content_type() == "image/png"
    ]
    assert [("<chart-revenue>", "inline", PNG)] == images


def test_a_retried_send_overwrites_rather_than_duplicates(tmp_path: Path) -> None:
    """Sending the same message to the same person twice leaves one file."""
    outbox = OutboxTransport(tmp_path, SETTINGS)
    outbox.send(report(), [ANN], TAGS)
    outbox.send(report(), [ANN], TAGS)
    assert 1 == len(emails(tmp_path))


def test_file_name_names_the_workflow_audience_and_recipient(tmp_path: Path) -> None:
    """The file name reads as the business key of the email."""
    OutboxTransport(tmp_path, SETTINGS).send(report(), [ANN], TAGS)
    assert emails(tmp_path)[0].name.startswith(
        "monthly-kpi-report-2026-10--leadership--report--ann@acme.test--"
    )


def test_index_lists_every_email_with_a_link(tmp_path: Path) -> None:
    """index.html links each .eml in the folder."""
    OutboxTransport(tmp_path, SETTINGS).send(report(), [ANN, BOB], TAGS)
    index = (tmp_path / INDEX_FILE).read_text()
    assert [True, True] == [f'href="{quote(path.name)}"' in index for path in emails(tmp_path)]


def test_index_escapes_html_in_subjects(tmp_path: Path) -> None:
    """A subject with markup shows as text in the index, never as markup."""
    OutboxTransport(tmp_path, SETTINGS).send(report("<script>alert(1)</script> & co"), [ANN], TAGS)
    index = (tmp_path / INDEX_FILE).read_text()
    assert (True, False) == (
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in index,
        "<script>" in index,
    )


def test_index_lists_the_newest_email_first(tmp_path: Path) -> None:
    """Emails are ordered by their Date header, newest at the top."""
    for name, date in [
        ("a.eml", "Thu, 01 Oct 2026 09:00:00 +0000"),
        ("b.eml", "Sun, 01 Nov 2026 09:00:00 +0000"),
    ]:
        message = EmailMessage()
        message["Subject"], message["Date"] = f"sent {name}", date
        (tmp_path / name).write_bytes(bytes(message))
    write_index(tmp_path)
    index = (tmp_path / INDEX_FILE).read_text()
    assert index.index("sent b.eml") < index.index("sent a.eml")


def test_an_outbox_path_that_is_a_file_is_a_permanent_error(tmp_path: Path) -> None:
    """Writing into a file instead of a folder fails without retry, naming the path."""
    blocker = tmp_path / "outbox"
    blocker.write_text("not a folder")
    with pytest.raises(ApplicationError) as raised:
        OutboxTransport(blocker, SETTINGS).send(report(), [ANN], TAGS)
    assert (True, True) == (raised.value.non_retryable, str(blocker) in str(raised.value))


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The common 022 umask, under which a plain file is world-readable."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("open_umask")
def test_emails_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    """An .eml may hold live approval links: 0600, even where the index is 0644."""
    OutboxTransport(tmp_path, SETTINGS).send(report(), [ANN], TAGS)
    [eml] = emails(tmp_path)
    modes = (eml.stat().st_mode & 0o777, (tmp_path / INDEX_FILE).stat().st_mode & 0o777)
    assert (0o600, 0o644) == modes


@pytest.mark.usefixtures("open_umask")
def test_a_world_readable_email_becomes_private_when_rewritten(tmp_path: Path) -> None:
    """A retried send over a 0644 file left by an earlier version leaves it 0600."""
    outbox = OutboxTransport(tmp_path, SETTINGS)
    outbox.send(report(), [ANN], TAGS)
    [eml] = emails(tmp_path)
    eml.chmod(0o644)
    outbox.send(report(), [ANN], TAGS)
    assert 0o600 == eml.stat().st_mode & 0o777
