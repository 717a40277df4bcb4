"""How an email leaves OpsRhythm: the choice of transport from the environment.

The contract every transport meets is in ``contract``. SendGrid stays unimported unless it is
used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from opsrhythm.platform.config import EmailSettings
from opsrhythm.platform.mail.contract import MailTransport
from opsrhythm.platform.mail.outbox import OutboxTransport

SENDGRID_API_KEY_ENV = "SENDGRID_API_KEY"
SENDGRID_HOST_ENV = "SENDGRID_HOST"
OUTBOX_ENV = "OPSRHYTHM_OUTBOX"
DEFAULT_OUTBOX = Path("outbox")


def transport_from_environment(
    settings: EmailSettings,
    outbox_dir: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> MailTransport:
    """SendGrid when ``SENDGRID_API_KEY`` is set, else .eml files in the outbox folder.

    ``outbox_dir`` wins over ``OPSRHYTHM_OUTBOX``; ``environ`` defaults to the process's.
    """
    env = os.environ if environ is None else environ
    api_key = env.get(SENDGRID_API_KEY_ENV, "").strip()
    if api_key:
        from opsrhythm.platform.mail.sendgrid_transport import SendGridTransport

        return SendGridTransport(
            api_key, settings, host=env.get(SENDGRID_HOST_ENV, "").strip() or None
        )
    return OutboxTransport(outbox_dir or outbox_dir_from_environment(env), settings)


def outbox_dir_from_environment(environ: Mapping[str, str] | None = None) -> Path:
    """The outbox folder: ``OPSRHYTHM_OUTBOX``, else ``./outbox``."""
    env = os.environ if environ is None else environ
    return Path(env.get(OUTBOX_ENV, "").strip() or DEFAULT_OUTBOX)
