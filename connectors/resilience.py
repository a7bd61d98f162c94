"""Retrying Graph calls past what the SDK's own retry handler does.

kiota's ``RetryHandler`` (inside msgraph-sdk) retries 429/503/504 at most 3 times by default
(10 at most) and *gives up at once* when the wait it computes is 180 s or more
(``RetryHandlerOption.MAX_DELAY``), so a long ``Retry-After`` from a throttled tenant surfaces as
an error. It never retries 500/502 or timeouts. ``with_retries`` wraps one call (a page of
results, a download, a permission list) in a second, bounded loop: ``Retry-After`` is honoured up
to ``max_retry_after_s``; 5xx, 408 and transport errors/timeouts get exponential backoff with full
jitter, capped at ``max_backoff_s``; after ``max_attempts`` the last error is raised.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from kiota_abstractions.api_error import APIError

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


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    if not headers:
        return None
    if isinstance(headers, httpx.Headers):
        return headers.get(name)
    for key, value in headers.items():
        if key.lower() == name.lower():
            return str(value[0] if isinstance(value, (list, tuple)) else value)
    return None


def retry_delay(exc: BaseException, attempt: int, policy: RetryPolicy, rand: Callable[[], float]) -> float | None:
    """How long to wait before attempt ``attempt + 1``; None when the error is not retryable.

    ``attempt`` counts from 1 (the call that just failed).
    """
    if attempt >= policy.max_attempts:
        return None
    status: int | None = None
    headers: Mapping[str, Any] | None = None
    if isinstance(exc, APIError):
        status, headers = exc.response_status_code, exc.response_headers
    elif isinstance(exc, httpx.HTTPStatusError):
        status, headers = exc.response.status_code, exc.response.headers
    elif not isinstance(exc, (httpx.TransportError, TimeoutError)):
        return None
    if status is not None and status not in RETRYABLE_STATUSES:
        return None
    retry_after = parse_retry_after(_header(headers, "Retry-After"))
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
    if isinstance(exc, APIError) and exc.response_status_code is not None:
        return f"HTTP {exc.response_status_code}"
    return type(exc).__name__
