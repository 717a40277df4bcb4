"""Failures kept small and handled failures kept to one log line.

``DATA_CONVERTER`` (pydantic payloads, ``BoundedFailureConverter``) is what every client and
worker of OpsRhythm uses: a failure recorded in history never approaches the server's blob
limit, whatever an exception carries (SQLAlchemy puts whole statements and parameters in its
messages, and chains driver errors under its own). ``quiet_handled_failures`` makes an activity
that fails with an ``ApplicationError`` (a failure the code chose, such as a KPI source error
or SendGrid's 401) log one line instead of a traceback; any other exception is a bug and keeps
its traceback.
"""

from __future__ import annotations

import dataclasses
import logging
import threading

from temporalio.api.failure.v1 import Failure
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DefaultFailureConverter, PayloadConverter
from temporalio.exceptions import ApplicationError

__all__ = [
    "CHAIN_LIMIT",
    "DATA_CONVERTER",
    "MESSAGE_LIMIT",
    "STACK_TRACE_LIMIT",
    "BoundedFailureConverter",
    "quiet_handled_failures",
]

MESSAGE_LIMIT = 2048
"""Bytes of a failure's message kept (its start: drivers put their own words first)."""
STACK_TRACE_LIMIT = 4096
"""Bytes of a failure's stack trace kept (its end: the innermost frames, where it was raised)."""
CHAIN_LIMIT = 5
"""Failures kept in one chain of causes: the outermost ones and always the root cause."""
_CUT = "[... {} bytes cut]"


class BoundedFailureConverter(DefaultFailureConverter):
    """The default conversion, then each failure in the chain bounded: at most ``CHAIN_LIMIT``
    failures of at most ``MESSAGE_LIMIT`` + ``STACK_TRACE_LIMIT`` bytes each (about 30 KB in all,
    against the server's limits of hundreds of KB)."""

    _converting = threading.local()  # the base class recurses into causes through to_failure

    def to_failure(
        self, exception: BaseException, payload_converter: PayloadConverter, failure: Failure
    ) -> None:
        if getattr(self._converting, "active", False):
            super().to_failure(exception, payload_converter, failure)
            return
        self._converting.active = True
        try:
            super().to_failure(exception, payload_converter, failure)
        finally:
            self._converting.active = False
        bound(failure)


def bound(failure: Failure) -> None:
    """Bound ``failure`` and its causes in place."""
    chain = [failure]
    while chain[-1].HasField("cause"):
        chain.append(chain[-1].cause)
    if len(chain) > CHAIN_LIMIT:
        root = Failure()
        root.CopyFrom(chain[-1])
        omitted = len(chain) - CHAIN_LIMIT
        root.stack_trace = f"[{omitted} intermediate causes omitted]\n{root.stack_trace}"
        chain[CHAIN_LIMIT - 2].cause.CopyFrom(root)
        chain = [*chain[: CHAIN_LIMIT - 1], chain[CHAIN_LIMIT - 2].cause]
    for link in chain:
        link.message = _head(link.message, MESSAGE_LIMIT)
        link.stack_trace = _tail(link.stack_trace, STACK_TRACE_LIMIT)


def _head(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    cut = _CUT.format(len(data) - limit)
    return data[:limit].decode(errors="ignore") + " " + cut


def _tail(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    cut = _CUT.format(len(data) - limit)
    return cut + "\n" + data[-limit:].decode(errors="ignore")


DATA_CONVERTER = dataclasses.replace(
    pydantic_data_converter, failure_converter_class=BoundedFailureConverter
)
"""Pydantic payloads, bounded failures: for every ``Client`` and test environment."""


class HandledFailuresOneLine(logging.Filter):
    """Drops the traceback from a record about an ``ApplicationError`` and puts its message on
    the record's line instead: the code raised it on purpose, so the stack says nothing new."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, ApplicationError):
            reason = " ".join(str(error).split())
            record.msg = f"{record.getMessage()}: {reason}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


_ACTIVITY_LOGGER = "temporalio.activity"  # where the SDK logs "Completing activity as failed"


def quiet_handled_failures() -> None:
    """Install ``HandledFailuresOneLine`` on the SDK's activity logger (once per process)."""
    logger = logging.getLogger(_ACTIVITY_LOGGER)
    if not any(isinstance(f, HandledFailuresOneLine) for f in logger.filters):
        logger.addFilter(HandledFailuresOneLine())
