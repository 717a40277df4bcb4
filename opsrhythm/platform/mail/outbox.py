"""The outbox transport: each email becomes an .eml file, for runs without an email provider.

A file is named from the message's business key (workflow, audience, message, recipient), so a
retried send overwrites it instead of adding a copy. Files are written atomically, and
``index.html`` lists them newest first so the outbox can be browsed. The emails are readable by
their owner only: approval requests and owner notices carry live signed links.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import mimetypes
import os
import re
import threading
import uuid
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import format_datetime, formataddr, parsedate_to_datetime
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from temporalio.exceptions import ApplicationError

from opsrhythm.platform.config import EmailSettings
from opsrhythm.platform.mail.contract import MessageTags, unique_recipients
from opsrhythm.platform.models import InlineImage, Recipient, RenderedEmail

INDEX_FILE = "index.html"
PRIVATE = 0o600
_UNSAFE = re.compile(r"[^A-Za-z0-9@._-]+")
# Concurrent activities in one worker share the folder; the index must list every file.
_index_lock = threading.Lock()


class OutboxTransport:
    name: Literal["outbox"] = "outbox"

    def __init__(self, directory: Path, settings: EmailSettings) -> None:
        self.directory = directory
        self._settings = settings

    def send(self, message: RenderedEmail, recipients: list[Recipient], tags: MessageTags) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            for recipient in unique_recipients(recipients):
                email = self.build(message, recipient, tags)
                _write_atomic(
                    self.directory / file_name(message, recipient, tags), bytes(email), PRIVATE
                )
            write_index(self.directory)
        except (PermissionError, NotADirectoryError, FileExistsError) as error:
            raise ApplicationError(
                f"cannot write to the outbox {self.directory}: {error.strerror}",
                type="OutboxUnwritable",
                non_retryable=True,
            ) from None
        except OSError as error:
            raise ApplicationError(
                f"writing to the outbox {self.directory} failed: {error}", type="OutboxError"
            ) from None

    def build(
        self, message: RenderedEmail, recipient: Recipient, tags: MessageTags
    ) -> EmailMessage:
        """The email as a mail client shows it: text and HTML, images inline by content id."""
        settings = self._settings
        email = EmailMessage()
        email["Subject"] = message.subject
        email["From"] = formataddr((settings.from_name, settings.from_email))
        email["To"] = formataddr((recipient.name, recipient.email))
        if settings.reply_to:
            email["Reply-To"] = settings.reply_to
        email["Date"] = format_datetime(datetime.now(UTC))
        domain = settings.from_email.rpartition("@")[2]
        email["Message-ID"] = f"<{_digest(message, recipient, tags)}@{domain}>"
        for key, value in tags.custom_args.items():
            email[f"X-OpsRhythm-{key.replace('_', '-').title()}"] = value
        email.set_content(message.text)
        email.add_alternative(message.html, subtype="html")
        html_part = email.get_body(preferencelist=("html",))
        if html_part is not None:  # always there: added just above
            for image in message.inline_images:
                maintype, _, subtype = _mime_type(image.filename).partition("/")
                html_part.add_related(
                    _image_bytes(image),
                    maintype=maintype,
                    subtype=subtype,
                    cid=f"<{image.content_id}>",
                    filename=image.filename,
                    disposition="inline",
                )
        return email


def _mime_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "image/png"


def _image_bytes(image: InlineImage) -> bytes:
    try:
        return base64.b64decode(image.content_base64, validate=True)
    except binascii.Error:
        raise ApplicationError(
            f"inline image {image.filename!r} is not valid base64",
            type="InvalidEmail",
            non_retryable=True,
        ) from None


def file_name(message: RenderedEmail, recipient: Recipient, tags: MessageTags) -> str:
    """Stable across retries: the business key, made file-safe, plus a digest against clashes."""
    args = tags.custom_args
    parts = [args.get("workflow_id", ""), args.get("audience", ""), args.get("message", "")]
    readable = "--".join(_UNSAFE.sub("_", p) for p in [*parts, recipient.email.lower()] if p)
    return f"{readable[:180]}--{_digest(message, recipient, tags)[:12]}.eml"


def _digest(message: RenderedEmail, recipient: Recipient, tags: MessageTags) -> str:
    args = tags.custom_args
    identity = [args.get(k, "") for k in ("workflow_id", "audience", "message")]
    if not any(identity):
        identity.append(message.subject)
    identity.append(recipient.email.strip().lower())
    return hashlib.sha256("\0".join(identity).encode()).hexdigest()[:32]


def write_index(directory: Path) -> None:
    """(Re)write index.html listing every .eml in the folder, newest first."""
    with _index_lock:
        entries = []
        for path in directory.glob("*.eml"):
            headers = _read_headers(path)
            entries.append((_sent_at(headers.get("Date"), path), path.name, headers))
        entries.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
        rows = "\n".join(
            '<tr><td>{}</td><td>{}</td><td>{}</td><td><a href="{}">{}</a></td></tr>'.format(
                html.escape(sent_at.strftime("%Y-%m-%d %H:%M:%S UTC")),
                html.escape(str(headers.get("To", ""))),
                html.escape(str(headers.get("Subject", ""))),
                html.escape(quote(name)),
                html.escape(name),
            )
            for sent_at, name, headers in entries
        )
        page = _INDEX_TEMPLATE.format(count=len(entries), rows=rows)
        _write_atomic(directory / INDEX_FILE, page.encode("utf-8"))


_INDEX_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>OpsRhythm outbox</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:.3em .8em;text-align:left}}
tr:nth-child(even){{background:#f4f4f4}}</style></head>
<body><h1>OpsRhythm outbox</h1><p>{count} emails, newest first.
Open a file in any mail client.</p>
<table><thead><tr><th>Date</th><th>To</th><th>Subject</th><th>File</th></tr></thead>
<tbody>
{rows}
</tbody></table></body></html>
"""


def _read_headers(path: Path) -> EmailMessage:
    # Only the header block: bodies carry the images and can be large.
    lines = []
    with path.open("rb") as file:
        for line in file:
            if line in (b"\n", b"\r\n"):
                break
            lines.append(line)
    parsed = BytesHeaderParser(policy=policy.default).parsebytes(b"".join(lines))
    assert isinstance(parsed, EmailMessage)
    return parsed


def _sent_at(date_header: object, path: Path) -> datetime:
    try:
        sent_at = parsedate_to_datetime(str(date_header))
    except (TypeError, ValueError):
        sent_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return (sent_at if sent_at.tzinfo else sent_at.replace(tzinfo=UTC)).astimezone(UTC)


def _write_atomic(path: Path, data: bytes, mode: int = 0o666) -> None:
    # The index keeps the user's umask (0666 minus it); an email asks for PRIVATE, which a
    # umask can narrow but never widen. os.replace keeps the new file's mode, so a file
    # written 0644 by an earlier version becomes 0600 on its next write.
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
