"""Who calls /api/ask or /api/feedback: a validated Entra bearer token, or in dev mode a demo user.

Dev mode accepts a ``user`` field (a demo user's object id or UPN) when no ``Authorization``
header is sent; outside dev mode that field is refused, so it can never stand in for a token.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web

from bot.entra_auth import EntraTokenValidator, InvalidToken

log = logging.getLogger(__name__)


def error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """The one error shape of the web API: ``{"error": message}``."""
    return web.json_response({"error": message}, status=status, headers=headers)


@dataclass(frozen=True)
class WebCaller:
    user: str
    """An Entra object id, or in dev mode the demo user as given."""
    tenant_id: str | None


class WebIdentity:
    """Turns a request (and its body's optional ``user``) into a :class:`WebCaller` or a 4xx."""

    def __init__(self, validator: EntraTokenValidator | None, dev_mode: bool) -> None:
        self._validator = validator
        self._dev_mode = dev_mode

    async def caller(self, request: web.Request, user: str | None) -> WebCaller | web.Response:
        if self._dev_mode and "Authorization" not in request.headers:
            if user is None or not user.strip():
                return error(400, "dev mode: field 'user' (a demo user) is required")
            return WebCaller(user.strip(), None)
        if user is not None:
            return error(400, "field 'user' is only accepted in dev mode")
        if self._validator is None:
            return error(401, "authentication is not configured")
        try:
            caller = await self._validator.validate(request.headers.get("Authorization"))
        except InvalidToken as exc:
            log.info("rejected %s token: %s", request.path, exc)
            return error(401, "invalid or missing bearer token", {"WWW-Authenticate": "Bearer"})
        return WebCaller(caller.user_id, caller.tenant_id)
