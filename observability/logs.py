"""Log lines as JSON objects (or text), each carrying the correlation id of its turn or request.

The id lives in a context variable: set once where a request or activity comes in, it is seen by
every line logged while handling it, also from tasks started meanwhile (``asyncio`` copies the
context into a new task, ``asyncio.to_thread`` into its thread). Outside a request it is ``-``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, Literal

from pythonjsonlogger.json import JsonFormatter

CORRELATION_ID: ContextVar[str] = ContextVar("correlation_id", default="-")

LogFormat = Literal["json", "text"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s]: %(message)s"


def new_correlation_id() -> str:
    return uuid.uuid4().hex[:16]


@contextmanager
def correlation_scope(correlation_id: str | None = None) -> Iterator[str]:
    """Log lines in the ``with`` block (and tasks started in it) carry this id (a new one if None)."""
    value = correlation_id or new_correlation_id()
    token = CORRELATION_ID.set(value)
    try:
        yield value
    finally:
        CORRELATION_ID.reset(token)


class CorrelationFilter(logging.Filter):
    """Adds ``correlation_id`` to every record a handler emits."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "correlation_id"):
            record.correlation_id = CORRELATION_ID.get()
        return True


def json_formatter() -> logging.Formatter:
    """One JSON object a line: time, level, logger, message, correlation_id (and any ``extra``)."""
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        json_ensure_ascii=False,
    )


def configure_logging(level: str, log_format: LogFormat, stream: IO[str]) -> logging.Handler:
    """The root logger writes to ``stream`` in ``log_format``; returns its handler."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(CorrelationFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler
