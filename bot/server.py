"""The HTTP routes: /api/messages, /api/ask, /api/feedback, /openapi.json, health, readiness,
/metrics, and (dev mode) the web part's chat component as the page at ``/``.

This module declares what the routes need as typed app keys; the composition root fills them in
its startup hook. Nothing here builds a component.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest

from bot.activity_endpoint import AGENT_CONFIGURATION, ActivityEndpoint
from bot.ask_api import AskEndpoint
from bot.openapi import openapi_document
from bot.web_feedback import FeedbackEndpoint
from observability import StageMetrics

STATIC = Path(__file__).parent / "static"


class Readiness(Protocol):
    """What ``/readyz`` reports: ready once an index snapshot is loaded."""

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """(ready, details for the response body)."""
        ...


DemoUsers = Callable[[], Awaitable[list[dict[str, Any]]]]

MESSAGES = web.AppKey("messages", ActivityEndpoint)
ASK = web.AppKey("ask", AskEndpoint)
WEB_FEEDBACK = web.AppKey("web_feedback", FeedbackEndpoint)
READINESS = web.AppKey("readiness", Readiness)
METRICS = web.AppKey("metrics", CollectorRegistry)
DEMO_USERS: web.AppKey[DemoUsers] = web.AppKey("demo_users")
STAGES = web.AppKey("stages", StageMetrics)
"""Where the routes time the delivery stage of an answer (``assistant_stage_seconds``)."""


def provide(
    app: web.Application,
    *,
    messages: ActivityEndpoint,
    ask: AskEndpoint,
    feedback: FeedbackEndpoint,
    readiness: Readiness,
    metrics: CollectorRegistry,
    demo_users: DemoUsers | None = None,
) -> None:
    """Put what the routes need into ``app`` (called from the composition root's startup hook)."""
    app[MESSAGES] = messages
    app[ASK] = ask
    app[WEB_FEEDBACK] = feedback
    app[READINESS] = readiness
    app[METRICS] = metrics
    if demo_users is not None:
        app[DEMO_USERS] = demo_users
    app[AGENT_CONFIGURATION] = messages.agent_configuration  # type: ignore[index]  # the SDK's plain str key


def install_routes(app: web.Application, *, dev_mode: bool) -> None:
    """Register the routes; ``dev_mode`` adds the chat page and the demo-user list."""

    async def messages(request: web.Request) -> web.StreamResponse:
        return await request.app[MESSAGES].handle(request)

    async def ask(request: web.Request) -> web.StreamResponse:
        response = await request.app[ASK].handle(request)
        if isinstance(response, web.Response) and not response.prepared and response.status == 200:
            # A JSON answer: sent here so that sending it is timed as the delivery stage.
            with request.app[STAGES].time("delivery"):
                await response.prepare(request)
                await response.write_eof()
        return response

    async def feedback(request: web.Request) -> web.StreamResponse:
        return await request.app[WEB_FEEDBACK].handle(request)

    document = openapi_document(dev_mode)

    async def openapi(request: web.Request) -> web.Response:
        return web.json_response(document)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        ready, body = request.app[READINESS].readiness()
        return web.json_response({"ready": ready, **body}, status=200 if ready else 503)

    async def metrics(request: web.Request) -> web.Response:
        registry = request.app[METRICS]
        return web.Response(body=generate_latest(registry), content_type="text/plain", charset="utf-8")

    app.router.add_post("/api/messages", messages)
    app.router.add_post("/api/ask", ask)
    app.router.add_post("/api/feedback", feedback)
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)

    if dev_mode:

        async def index_page(request: web.Request) -> web.FileResponse:
            return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

        async def bundle(request: web.Request) -> web.FileResponse:
            return web.FileResponse(STATIC / "webpart.js", headers={"Cache-Control": "no-cache"})

        async def demo_users(request: web.Request) -> web.Response:
            return web.json_response(await request.app[DEMO_USERS]())

        app.router.add_get("/", index_page)
        app.router.add_get("/static/webpart.js", bundle)
        app.router.add_get("/api/demo-users", demo_users)
