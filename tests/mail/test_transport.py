"""The environment picks the transport: SendGrid with an API key, the outbox without."""

from __future__ import annotations

from pathlib import Path

from opsrhythm.platform.config import EmailSettings
from opsrhythm.platform.mail.outbox import OutboxTransport
from opsrhythm.platform.mail.sendgrid_transport import SendGridTransport
from opsrhythm.platform.mail.transport import transport_from_environment

SETTINGS = EmailSettings(from_email="ops@acme.test")


def test_an_api_key_selects_sendgrid() -> None:
    """SENDGRID_API_KEY set means SendGrid."""
    transport = transport_from_environment(SETTINGS, environ={"SENDGRID_API_KEY": "SG.key"})
    assert "sendgrid" == transport.name


def test_sendgrid_host_overrides_the_api_host() -> None:
    """SENDGRID_HOST points the client at another host, such as a fake."""
    environ = {"SENDGRID_API_KEY": "SG.key", "SENDGRID_HOST": "http://127.0.0.1:8025"}
    transport = transport_from_environment(SETTINGS, environ=environ)
    assert isinstance(transport, SendGridTransport)
    assert "http://127.0.0.1:8025" == transport.host


def test_no_api_key_selects_the_outbox_from_the_environment(tmp_path: Path) -> None:
    """Without a key, emails go to OPSRHYTHM_OUTBOX."""
    environ = {"OPSRHYTHM_OUTBOX": str(tmp_path / "mail")}
    transport = transport_from_environment(SETTINGS, environ=environ)
    assert isinstance(transport, OutboxTransport)
    assert tmp_path / "mail" == transport.directory


def test_an_explicit_outbox_folder_wins(tmp_path: Path) -> None:
    """The outbox_dir argument beats OPSRHYTHM_OUTBOX."""
    environ = {"OPSRHYTHM_OUTBOX": str(tmp_path / "env")}
    transport = transport_from_environment(SETTINGS, tmp_path / "arg", environ=environ)
    assert isinstance(transport, OutboxTransport)
    assert tmp_path / "arg" == transport.directory


def test_the_outbox_defaults_to_a_local_folder() -> None:
    """With nothing set, emails go to ./outbox."""
    transport = transport_from_environment(SETTINGS, environ={})
    assert isinstance(transport, OutboxTransport)
    assert Path("outbox") == transport.directory
