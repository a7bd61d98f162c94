"""POST /api/messages: Bot Framework activities through the Microsoft 365 Agents SDK.

Order of checks: the SDK's Bot Framework JWT check (every failure of the check is a 401), then
the body is validated (a 400 for anything that is not an activity, before the SDK can answer it
with a 500), then the tenant and ``serviceUrl`` gate (403), then the SDK runs the turn.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter, start_agent_process
from microsoft_agents.hosting.aiohttp.jwt_authorization_middleware import _jwt_authorization_middleware

from bot.teams import TeamsBot
from bot.validation import ActivityGate, InvalidActivity, parse_activity

log = logging.getLogger(__name__)

AGENT_CONFIGURATION = "agent_configuration"
"""The app key the SDK's JWT middleware reads; without it every request gets a 500."""


async def authorized(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """The SDK's Bot Framework JWT check, with every failure *of the check* answered 401.

    The SDK raises instead of refusing for some tokens (a JWT without ``kid``; signing keys that
    cannot be fetched), which would be a 500. Errors after the check (in the turn) are not ours to
    hide and propagate.
    """
    entered = False

    async def after_check(request: web.Request) -> web.StreamResponse:
        nonlocal entered
        entered = True
        return await handler(request)

    try:
        return await _jwt_authorization_middleware(request, after_check)
    except Exception as exc:
        if entered:
            raise
        log.warning("bot token check failed: %s", type(exc).__name__)
        return web.json_response({"error": "Invalid token or authentication failed."}, status=401)


class ActivityEndpoint:
    """Handles /api/messages for one ``TeamsBot``.

    ``sdk_configuration`` is the Agents SDK's connection settings
    (``{"CONNECTIONS": {"SERVICE_CONNECTION": {"SETTINGS": {...}}}}``).
    """

    def __init__(self, bot: TeamsBot, gate: ActivityGate, sdk_configuration: dict[str, Any]) -> None:
        connection_manager = MsalConnectionManager(**sdk_configuration)
        self._adapter = CloudAdapter(connection_manager=connection_manager)
        self._application = bot.build_application(self._adapter, connection_manager)
        self._gate = gate
        self.agent_configuration = connection_manager.get_default_connection_configuration()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        async def after_auth(request: web.Request) -> web.StreamResponse:
            try:
                activity = parse_activity(await request.read())
            except InvalidActivity as exc:
                return web.json_response({"error": str(exc)}, status=400)
            refusal = self._gate.refusal(activity)
            if refusal is not None:
                log.warning("refused activity: %s", refusal)
                return web.json_response({"error": refusal}, status=403)
            response = await start_agent_process(request, self._application, self._adapter)
            return response if response is not None else web.Response(status=202)

        return await authorized(request, after_auth)
