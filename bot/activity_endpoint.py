"""POST /api/messages: Bot Framework activities through the Microsoft 365 Agents SDK.

Order of checks: the SDK's Bot Framework JWT check (every failure of the check is a 401), then
the body is validated (a 400 for anything that is not an activity, before the SDK can answer it
with a 500), then the tenant and ``serviceUrl`` gate (403). Then:

* a **message** is acknowledged at once (202) and its turn runs in the background
  (``BackgroundTurns``); the same activity (channel, conversation, activity id) is answered once,
  also when Teams redelivers it while the first delivery is still being answered
  (``DeliveryGuard``; a redelivery gets 200 and nothing else happens);
* everything else (invokes such as feedback, which Teams wants answered in the response;
  conversation updates) runs in the request, as the SDK does it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from microsoft_agents.activity import Activity, DeliveryModes
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter, start_agent_process
from microsoft_agents.hosting.aiohttp.jwt_authorization_middleware import _jwt_authorization_middleware
from microsoft_agents.hosting.core import ClaimsIdentity

from bot.teams import TeamsBot
from bot.turns import BackgroundTurns
from bot.validation import ActivityGate, InvalidActivity, parse_activity
from state import DeliveryGuard

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


def delivery_key(activity: Activity) -> str:
    """Who answers what: an activity id is unique within its conversation and channel."""
    conversation = activity.conversation.id if activity.conversation else ""
    return f"{activity.channel_id or ''}|{conversation}|{activity.id or activity.request_id or ''}"


class ActivityEndpoint:
    """Handles /api/messages for one ``TeamsBot``.

    ``sdk_configuration`` is the Agents SDK's connection settings
    (``{"CONNECTIONS": {"SERVICE_CONNECTION": {"SETTINGS": {...}}}}``).
    """

    def __init__(
        self,
        bot: TeamsBot,
        gate: ActivityGate,
        sdk_configuration: dict[str, Any],
        turns: BackgroundTurns,
        deliveries: DeliveryGuard,
    ) -> None:
        connection_manager = MsalConnectionManager(**sdk_configuration)
        self._adapter = CloudAdapter(connection_manager=connection_manager)
        self._application = bot.build_application(self._adapter, connection_manager)
        self._gate = gate
        self._turns = turns
        self._deliveries = deliveries
        self.agent_configuration = connection_manager.get_default_connection_configuration()

    async def _acknowledge(self, request: web.Request, data: dict[str, Any]) -> web.StreamResponse:
        """Claim the activity, start its turn in the background, answer 202 now."""
        if not self._turns.accepting:
            return web.json_response({"error": "shutting down; deliver again"}, status=503)
        activity = Activity.model_validate(data)
        activity.request_id = str(uuid.uuid4())
        key = delivery_key(activity)
        if not await self._deliveries.claim(key):
            log.info("activity %s delivered again; it is (being) answered once", activity.id)
            return web.Response(status=200)
        claims: ClaimsIdentity = request.get("claims_identity") or ClaimsIdentity()
        log.info("activity %s acknowledged; answering in the background", activity.id)

        async def turn() -> None:
            try:
                await self._adapter.process_activity(claims, activity, self._application.on_turn)
            except BaseException:
                await self._deliveries.release(key)  # a redelivery may try again
                raise
            await self._deliveries.done(key)

        self._turns.start(turn(), name=f"turn:{activity.id}")
        return web.Response(status=202)

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
            if activity.get("type") == "message" and activity.get("deliveryMode") != DeliveryModes.expect_replies:
                return await self._acknowledge(request, activity)
            response = await start_agent_process(request, self._application, self._adapter)
            return response if response is not None else web.Response(status=202)

        return await authorized(request, after_auth)
