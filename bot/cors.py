"""CORS for the SharePoint web part: pages on the tenant's SharePoint origins may call the API.

Only the paths in ``CORS_PATHS`` take part, and only the exact origins of
``CORS_ALLOWED_ORIGINS``. A preflight from such an origin is answered 204 with that origin echoed
(never ``*``); a preflight from any other origin gets 403 and no ``Access-Control-*`` header, so
the browser refuses the call. Responses vary on ``Origin`` so a cache never serves one origin's
headers to another. The web part sends its Entra token as a bearer header, not a cookie, so no
credentials mode is needed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

CORS_PATHS = frozenset({"/api/ask", "/api/feedback"})
ALLOWED_METHODS = "POST, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type, Accept, Accept-Language"
PREFLIGHT_MAX_AGE_S = 600

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class CorsPolicy:
    """Which origins may call the API paths; installed on an app with :meth:`install`."""

    def __init__(self, origins: tuple[str, ...]) -> None:
        self._origins = frozenset(o.lower().rstrip("/") for o in origins)

    def allows(self, origin: str | None) -> bool:
        return origin is not None and origin.lower().rstrip("/") in self._origins

    def install(self, app: web.Application) -> None:
        app.middlewares.append(self._preflight)
        app.on_response_prepare.append(self._headers)

    @web.middleware
    async def _preflight(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "OPTIONS" or request.path not in CORS_PATHS:
            return await handler(request)
        origin = request.headers.get("Origin")
        if not self.allows(origin) or "Access-Control-Request-Method" not in request.headers:
            return web.Response(status=403, headers={"Vary": "Origin"})
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Origin": origin or "",
                "Access-Control-Allow-Methods": ALLOWED_METHODS,
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_S),
                "Vary": "Origin",
            },
        )

    async def _headers(self, request: web.Request, response: web.StreamResponse) -> None:
        """Runs before any response's headers go out, streamed (SSE) ones included."""
        if request.path not in CORS_PATHS or request.method == "OPTIONS":
            return
        response.headers["Vary"] = "Origin"
        origin = request.headers.get("Origin")
        if self.allows(origin):
            response.headers["Access-Control-Allow-Origin"] = origin or ""
