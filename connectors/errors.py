"""Classifying Graph failures: which mean "not there" and which mean "cannot ask right now".

The only place that reads the SDK's error attributes (kiota's ``APIError``, httpx's
``HTTPStatusError``); everything else asks ``http_status`` and ``response_header``.
"""

from __future__ import annotations

import httpx
from kiota_abstractions.api_error import APIError


def http_status(exc: BaseException) -> int | None:
    """The HTTP status of a Graph SDK (or httpx) error; None for errors without a response."""
    if isinstance(exc, APIError):
        return exc.response_status_code
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code
    return None


def response_header(exc: BaseException, name: str) -> str | None:
    """A response header of a Graph SDK (or httpx) error, matched case-insensitively."""
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.headers.get(name)
    if not isinstance(exc, APIError) or not exc.response_headers:
        return None
    for key, value in exc.response_headers.items():
        if key.lower() == name.lower():
            return str(value[0] if isinstance(value, (list, tuple)) and value else value)
    return None


def is_not_found(exc: BaseException) -> bool:
    return http_status(exc) in (400, 404)


def is_gone(exc: BaseException) -> bool:
    """The object asked for no longer exists (404, or 410 for what Graph has purged)."""
    return http_status(exc) in (404, 410)


def is_unavailable(exc: BaseException) -> bool:
    """Network errors, timeouts, throttling and server errors: the directory can't be asked now."""
    if isinstance(exc, (httpx.TransportError, TimeoutError, OSError)):
        return True
    status = http_status(exc)
    if status is None:
        return type(exc).__name__ in {"ClientAuthenticationError", "ServiceRequestError"}
    return status in (401, 403, 408, 429) or status >= 500
