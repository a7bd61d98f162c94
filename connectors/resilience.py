"""The one retry layer for Graph calls: ``Retry-After``, backoff with jitter, bounded attempts.

The Graph client is built without kiota's ``RetryHandler`` (``connectors/graph.py``), so the loop
here is the only one: an HTTP request is sent at most ``max_attempts`` times. ``with_retries``
wraps one call (a page of results, a download, a permission list, a directory lookup):
``Retry-After`` on 429/503 is honoured up to ``max_retry_after_s`` (longer waits fail at once);
408, 5xx and transport errors/timeouts get exponential backoff with full jitter, capped at
``max_backoff_s``; after ``max_attempts`` the last error is raised.

The sync uses the ``GRAPH_RETRY_*`` settings (patient: minutes of throttling are waited out);
the serving path uses ``SERVING_RETRY`` (a person is waiting: one quick retry at most).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx

from connectors.errors import http_status, response_header

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds of the retry loop (``GRAPH_RETRY_*`` settings)."""

    max_attempts: int = 6
    base_delay_s: float = 1.0
    max_backoff_s: float = 60.0
    max_retry_after_s: float = 900.0


SERVING_RETRY = RetryPolicy(max_attempts=2, base_delay_s=0.25, max_backoff_s=0.5, max_retry_after_s=1.0)
"""While someone waits for an answer: one retry after at most a second, else fail (and fail closed)."""


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def retry_delay(exc: BaseException, attempt: int, policy: RetryPolicy, rand: Callable[[], float]) -> float | None:
    """How long to wait before attempt ``attempt + 1``; None when the error is not retryable.

    ``attempt`` counts from 1 (the call that just failed).
    """
    if attempt >= policy.max_attempts:
        return None
    status = http_status(exc)
    if status is None and not isinstance(exc, (httpx.TransportError, TimeoutError)):
        return None
    if status is not None and status not in RETRYABLE_STATUSES:
        return None
    retry_after = parse_retry_after(response_header(exc, "Retry-After"))
    if retry_after is not None and status in (429, 503):
        if retry_after > policy.max_retry_after_s:
            return None
        return retry_after
    backoff = min(policy.max_backoff_s, policy.base_delay_s * 2 ** (attempt - 1))
    return backoff * rand()


async def with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    what: str,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    rand: Callable[[], float] = random.random,
) -> T:
    """Run ``call`` until it succeeds or ``policy`` says stop (then its last error is raised)."""
    attempt = 1
    while True:
        try:
            return await call()
        except Exception as exc:
            delay = retry_delay(exc, attempt, policy, rand)
            if delay is None:
                raise
            log.warning("%s failed (%s); retry %d in %.1fs", what, _brief(exc), attempt, delay)
            await sleep(delay)
            attempt += 1


def _brief(exc: BaseException) -> str:
    status = http_status(exc)
    return f"HTTP {status}" if status is not None else type(exc).__name__
