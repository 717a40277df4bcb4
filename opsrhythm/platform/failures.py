"""Failures kept small and handled failures kept to one log line.

``DATA_CONVERTER`` (pydantic payloads, ``BoundedFailureConverter``) is what every client and
worker of OpsRhythm uses: a failure recorded in history never approaches the server's blob
limit, whatever an exception carries (SQLAlchemy puts whole statements and parameters in its
messages, and chains driver errors under its own). ``quiet_handled_failures`` makes an activity
that fails with an ``ApplicationError`` (a failure the code chose, such as a KPI source error
or SendGrid's 401) log one line instead of a traceback, and a workflow's log name the root
cause rather than "Activity task failed"; any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading

from temporalio.api.failure.v1 import Failure
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DefaultFailureConverter, PayloadConverter
from temporalio.exceptions import ApplicationError, FailureError

__all__ = [
    "CHAIN_LIMIT",
    "DATA_CONVERTER",
    "MESSAGE_LIMIT",
    "STACK_TRACE_LIMIT",
    "BoundedFailureConverter",
    "OneLineFailures",
    "quiet_handled_failures",
    "root_message",
]

MESSAGE_LIMIT = 2048
"""Bytes of a failure's message kept (its start: drivers put their own words first)."""
STACK_TRACE_LIMIT = 4096
"""Bytes of a failure's stack trace kept (its end: the innermost frames, where it was raised)."""
CHAIN_LIMIT = 5
"""Failures kept in one chain of causes: the outermost ones and always the root cause."""
_CUT = "[... {} bytes cut]"
_OMITTED_NOTE = "[{} intermediate causes omitted]\n"
_OMITTED = re.compile(r"\[(\d+) intermediate causes omitted\]\n")


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
    # A failure bounded before (an activity's, inside its workflow's) already says what it lost.
    earlier = _OMITTED.match(chain[-1].stack_trace)
    omitted = int(earlier[1]) if earlier else 0
    if earlier:
        chain[-1].stack_trace = chain[-1].stack_trace[earlier.end() :]
    if len(chain) > CHAIN_LIMIT:
        omitted += len(chain) - CHAIN_LIMIT
        root = Failure()
        root.CopyFrom(chain[-1])
        chain[CHAIN_LIMIT - 2].cause.CopyFrom(root)
        chain = [*chain[: CHAIN_LIMIT - 1], chain[CHAIN_LIMIT - 2].cause]
    for link in chain:
        link.message = _head(link.message, MESSAGE_LIMIT)
        link.stack_trace = _tail(link.stack_trace, STACK_TRACE_LIMIT)
    if omitted:
        chain[-1].stack_trace = _OMITTED_NOTE.format(omitted) + chain[-1].stack_trace


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


def root_message(error: BaseException) -> str:
    """The innermost cause's words: an activity's own error rather than "Activity task failed",
    a child workflow's rather than its parent's wrapper."""
    while error.__cause__ is not None:
        error = error.__cause__
    return error.message if isinstance(error, FailureError) else str(error)


class OneLineFailures(logging.Filter):
    """Handled failures as one line that says why.

    A record about an ``ApplicationError`` loses its traceback and gains the error's message:
    the code raised it on purpose, so the stack says nothing new. A Temporal error among the
    record's arguments (a workflow logging an ``ActivityError``) is shown by its root cause."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(arg, FailureError) for arg in record.args
        ):
            record.args = tuple(
                root_message(arg) if isinstance(arg, FailureError) else arg for arg in record.args
            )
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, ApplicationError):
            reason = " ".join(str(error).split())
            record.msg = f"{record.getMessage()}: {reason}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


# Where the SDK logs "Completing activity as failed", and where workflow.logger writes.
_SDK_LOGGERS = ("temporalio.activity", "temporalio.workflow")


def quiet_handled_failures() -> None:
    """Install ``OneLineFailures`` on the SDK's activity and workflow loggers (once)."""
    for name in _SDK_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, OneLineFailures) for f in logger.filters):
            logger.addFilter(OneLineFailures())
