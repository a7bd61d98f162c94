"""A local Bot Connector stand-in: receives what the bot sends to ``serviceUrl``.

Implements the Bot Framework Connector REST calls a bot makes while replying
(``POST /v3/conversations/{id}/activities[/{replyToId}]``, ``PUT`` for streaming updates), reading
a room's roster (``GET /v3/conversations/{id}/pagedmembers``, paged with a continuation token as
Teams does) and opening a 1:1 chat for a proactive message (``POST /v3/conversations``). Every
activity is recorded per conversation, so tests can assert on what Teams would have shown.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from typing import Any

from aiohttp import web

from tests.integration.loopback import LoopbackApp


class ConnectorCapture(LoopbackApp):
    """Runs on its own thread and event loop; thread-safe accessors for tests."""

    def __init__(self) -> None:
        super().__init__()
        self._activities: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._rosters: dict[str, list[dict[str, Any]]] = {}
        self.created: list[dict[str, Any]] = []
        self.roster_reads = 0
        self.fail_create = False
        self.refuse_streaming: int | None = None
        """Answer streaming activities (those with a ``streaminfo`` entity) with this status."""
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    async def _record(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation"]
        try:
            body = await request.json()
        except Exception:  # noqa: BLE001 - record what we can
            body = {"_raw": await request.text()}
        body["_method"] = request.method
        body["_path"] = request.path
        body["_received"] = time.time()
        streaming = any(e.get("type") == "streaminfo" for e in body.get("entities") or [] if isinstance(e, dict))
        if streaming and self.refuse_streaming is not None:
            code = "ContentStreamNotAllowed" if self.refuse_streaming == 403 else "Throttled"
            body["_refused"] = self.refuse_streaming
            with self._lock:
                self._activities[conversation].append(body)
            return web.json_response({"error": {"code": code, "message": code}}, status=self.refuse_streaming)
        body["_returned_id"] = body.get("id") or uuid.uuid4().hex
        with self._lock:
            self._activities[conversation].append(body)
        return web.json_response({"id": body["_returned_id"]})

    async def _members(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation"]
        with self._lock:
            self.roster_reads += 1
            members = self._rosters.get(conversation)
        if members is None:
            return web.json_response({"error": {"code": "ConversationNotFound"}}, status=404)
        size = int(request.query.get("pageSize", "500"))
        start = int(request.query.get("continuationToken", "0"))
        page: dict[str, Any] = {"members": members[start : start + size]}
        if start + size < len(members):
            page["continuationToken"] = str(start + size)
        return web.json_response(page)

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.fail_create:
            return web.json_response({"error": {"code": "Forbidden"}}, status=403)
        conversation_id = f"a:1{uuid.uuid4().hex}"
        with self._lock:
            self.created.append({**body, "_id": conversation_id})
        return web.json_response({"id": conversation_id, "activityId": uuid.uuid4().hex})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("GET", "/v3/conversations/{conversation}/pagedmembers", self._members)
        app.router.add_route("POST", "/v3/conversations", self._create)
        app.router.add_route("POST", "/v3/conversations/{conversation}/activities", self._record)
        app.router.add_route("POST", "/v3/conversations/{conversation}/activities/{reply}", self._record)
        app.router.add_route("PUT", "/v3/conversations/{conversation}/activities/{reply}", self._record)
        return app

    def set_roster(self, conversation: str, members: list[dict[str, Any]]) -> None:
        """Members as Teams lists them: ``{"id": "29:…", "aadObjectId": …, "name": …}``."""
        with self._lock:
            self._rosters[conversation.split(";", 1)[0]] = members

    def followups_to(self, aad_object_id: str) -> list[dict[str, Any]]:
        """Messages sent to 1:1 conversations the bot opened with this user."""
        with self._lock:
            ids = [
                c["_id"]
                for c in self.created
                if any(m.get("aadObjectId") == aad_object_id for m in c.get("members", []))
            ]
        return [a for cid in ids for a in self.activities(cid) if a.get("type") == "message"]

    def activities(self, conversation: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._activities.get(conversation, []))

    def wait_for_message(self, conversation: str, timeout: float = 90.0) -> dict[str, Any]:
        """The final message the bot sent (streaming updates are typing activities)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for activity in self.activities(conversation):
                if activity.get("type") == "message":
                    return activity
            time.sleep(0.1)
        raise TimeoutError(f"no message in conversation {conversation}: {self.activities(conversation)}")
