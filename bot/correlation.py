"""A correlation id for every HTTP request, seen by each log line logged while handling it.

Taken from the caller's ``X-Correlation-Id`` when it is a plausible id (a gateway or the web part
may set one), otherwise new; sent back in the response's ``X-Correlation-Id``. A Teams turn that
runs after its request was acknowledged keeps the id: its task is started inside the request, and
``asyncio`` gives a new task a copy of the context it was started in.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from observability import correlation_scope

HEADER = "X-Correlation-Id"
_PLAUSIBLE = re.compile(r"[A-Za-z0-9._:-]{8,64}")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


_KEY = web.RequestKey("correlation_id", str)


@web.middleware
async def correlation_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    given = request.headers.get(HEADER, "")
    with correlation_scope(given if _PLAUSIBLE.fullmatch(given) else None) as correlation_id:
        request[_KEY] = correlation_id
        return await handler(request)


async def _send_header(request: web.Request, response: web.StreamResponse) -> None:
    if _KEY in request:
        response.headers[HEADER] = request[_KEY]


def install_correlation(app: web.Application) -> None:
    """Every request gets a correlation id, and every response (streamed ones too) says it."""
    app.middlewares.append(correlation_middleware)
    app.on_response_prepare.append(_send_header)
