"""Classifying Graph failures: which mean "not there" and which mean "cannot ask right now"."""

from __future__ import annotations

import httpx
from kiota_abstractions.api_error import APIError


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of a Graph SDK error, if it has one."""
    if isinstance(exc, APIError):
        return exc.response_status_code
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code
    return None


def is_not_found(exc: BaseException) -> bool:
    return status_of(exc) in (400, 404)


def is_unavailable(exc: BaseException) -> bool:
    """Network errors, timeouts, throttling and server errors: the directory can't be asked now."""
    if isinstance(exc, (httpx.TransportError, TimeoutError, OSError)):
        return True
    status = status_of(exc)
    if status is None:
        return type(exc).__name__ in {"ClientAuthenticationError", "ServiceRequestError"}
    return status in (401, 403, 408, 429) or status >= 500
