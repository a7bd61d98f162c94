"""HTTP routes: /api/messages (Agents SDK), /api/ask, health, /metrics, and the dev chat page."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter, start_agent_process
from microsoft_agents.hosting.aiohttp.jwt_authorization_middleware import _jwt_authorization_middleware
from microsoft_agents.hosting.core import AgentApplication, TurnState
from prometheus_client import generate_latest

from bot.ask_api import AskEndpoint
from bot.entra_auth import EntraTokenValidator
from bot.teams import TeamsBot
from bot.validation import ActivityGate, InvalidActivity, parse_activity
from connectors.graph import ssl_context

if TYPE_CHECKING:
    from app import Components
    from settings import Settings

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
AGENT_APP = web.AppKey("agent_app", AgentApplication[TurnState])
ADAPTER = web.AppKey("adapter", CloudAdapter)
ASK = web.AppKey("ask", AskEndpoint)


def sdk_configuration(settings: Settings) -> dict[str, Any]:
    """The Agents SDK's connection settings, from our validated settings."""
    if settings.bot_authenticated:
        connection: dict[str, Any] = {
            "CLIENTID": settings.bot_client_id,
            "CLIENTSECRET": settings.bot_client_secret.get_secret_value() if settings.bot_client_secret else None,
            "TENANTID": settings.bot_tenant_id or settings.azure_tenant_id,
            "AUTHTYPE": "ClientSecret",
        }
    else:
        connection = {"ANONYMOUS_ALLOWED": True}
    return {"CONNECTIONS": {"SERVICE_CONNECTION": {"SETTINGS": connection}}}


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


def install_routes(app: web.Application, settings: Settings, components_key: web.AppKey[Components]) -> None:
    async def sdk_ctx(app: web.Application) -> AsyncIterator[None]:
        components = app[components_key]
        config = sdk_configuration(settings)
        connection_manager = MsalConnectionManager(**config)
        adapter = CloudAdapter(connection_manager=connection_manager)
        bot = TeamsBot(
            components.assistant,
            settings.answer_timeout_s,
            settings.roster_cache_ttl_s,
            roster_max_entries=settings.roster_cache_max_entries,
        )
        app[AGENT_APP] = bot.build_application(adapter, connection_manager)
        app[ADAPTER] = adapter
        # The SDK's JWT middleware reads this key; without it every request gets a 500.
        app["agent_configuration"] = connection_manager.get_default_connection_configuration()
        if not settings.bot_authenticated:
            log.warning("no bot credentials: /api/messages accepts unauthenticated activities (local use only)")
        validator = None
        if settings.graph_configured and not settings.dev_mode:
            client_id = settings.azure_client_id or ""
            validator = EntraTokenValidator(
                settings.azure_authority_host,
                settings.azure_tenant_id or "",
                audiences=[client_id, f"api://{client_id}"],
                ssl_context=ssl_context(settings.ssl_cert_file),
            )
        app[ASK] = AskEndpoint(components.assistant, validator, settings.dev_mode, settings.max_question_chars)
        yield

    app.cleanup_ctx.append(sdk_ctx)

    gate = ActivityGate(settings.bot_allowed_tenants, settings.bot_service_url_hosts)

    async def messages(request: web.Request) -> web.StreamResponse:
        async def after_auth(request: web.Request) -> web.StreamResponse:
            try:
                activity = parse_activity(await request.read())
            except InvalidActivity as exc:
                return web.json_response({"error": str(exc)}, status=400)
            refusal = gate.refusal(activity)
            if refusal is not None:
                log.warning("refused activity: %s", refusal)
                return web.json_response({"error": refusal}, status=403)
            response = await start_agent_process(request, request.app[AGENT_APP], request.app[ADAPTER])
            return response if response is not None else web.Response(status=202)

        return await authorized(request, after_auth)

    async def ask(request: web.Request) -> web.StreamResponse:
        return await request.app[ASK].handle(request)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        components = request.app[components_key]
        live = components.live_index
        ready = live.index is not None
        body = {
            "ready": ready,
            "snapshot": live.snapshot_id,
            "chunks": len(live.index) if live.index is not None else 0,
        }
        return web.json_response(body, status=200 if ready else 503)

    async def metrics(request: web.Request) -> web.Response:
        registry = request.app[components_key].assistant.metrics.registry
        return web.Response(body=generate_latest(registry), content_type="text/plain", charset="utf-8")

    app.router.add_post("/api/messages", messages)
    app.router.add_get("/metrics", metrics)
    app.router.add_post("/api/ask", ask)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)

    if settings.dev_mode:

        async def index_page(request: web.Request) -> web.FileResponse:
            return web.FileResponse(STATIC / "index.html")

        async def demo_users(request: web.Request) -> web.Response:
            components = request.app[components_key]
            users = await components.graph.client.users.get()
            return web.json_response(
                [
                    {
                        "id": u.id,
                        "userPrincipalName": u.user_principal_name,
                        "displayName": u.display_name,
                        "department": u.department,
                    }
                    for u in (users.value if users and users.value else [])
                ]
            )

        app.router.add_get("/", index_page)
        app.router.add_get("/api/demo-users", demo_users)
