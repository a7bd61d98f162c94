"""Checking a POST /api/messages body before the Agents SDK sees it.

The SDK answers some bodies that are not activities (``{}``, ``[]``, a message without a
conversation, an empty ``locale``) with a 500; everything that is not a well-formed Bot Framework
activity, including by the SDK's own schema, gets a clear 400 here instead.
"""

from __future__ import annotations

import fnmatch
from typing import Any
from urllib.parse import urlsplit

from microsoft_agents.activity import Activity
from pydantic import ValidationError

from bot.json_body import InvalidBody, json_object

MAX_ACTIVITY_BYTES = 256 * 1024
MAX_DEPTH = 32


class InvalidActivity(ValueError):
    """The body is not a Bot Framework activity; the message says why (safe to return)."""


def _depth(value: Any, limit: int) -> int:
    stack: list[tuple[Any, int]] = [(value, 1)]
    deepest = 0
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


def parse_activity(body: bytes) -> dict[str, Any]:
    """The activity as a dict, or ``InvalidActivity``."""
    try:
        data = json_object(body, MAX_ACTIVITY_BYTES, "activity")
    except InvalidBody as exc:
        raise InvalidActivity(str(exc)) from exc
    if _depth(data, MAX_DEPTH) > MAX_DEPTH:
        raise InvalidActivity("activity nested too deeply")
    kind = data.get("type")
    if not isinstance(kind, str) or not kind:
        raise InvalidActivity("activity has no type")
    service_url = data.get("serviceUrl")
    if not isinstance(service_url, str) or not service_url.startswith(("https://", "http://")):
        raise InvalidActivity("activity has no serviceUrl")
    conversation = data.get("conversation")
    if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str) or not conversation["id"]:
        raise InvalidActivity("activity has no conversation id")
    sender = data.get("from")
    if kind == "message" and (not isinstance(sender, dict) or not isinstance(sender.get("id"), str)):
        raise InvalidActivity("message activity has no sender")
    for field in ("text", "locale", "channelId", "id", "replyToId"):
        if field in data and data[field] is not None and not isinstance(data[field], str):
            raise InvalidActivity(f"activity field {field} must be a string")
    for field in ("entities", "attachments", "membersAdded", "membersRemoved"):
        if field in data and data[field] is not None and not isinstance(data[field], list):
            raise InvalidActivity(f"activity field {field} must be a list")
    try:
        Activity.model_validate(data)  # what the SDK does next, where a failure is a 500
    except ValidationError as exc:
        where = ".".join(str(part) for part in exc.errors()[0]["loc"]) if exc.errors() else "?"
        raise InvalidActivity(f"activity does not match the Bot Framework schema (field {where})") from exc
    return data


def tenant_of(activity: Activity) -> str | None:
    """The activity's tenant: ``conversation.tenantId``, else Teams' ``channelData.tenant.id``."""
    if activity.conversation is not None and activity.conversation.tenant_id:
        return activity.conversation.tenant_id
    channel_data: Any = activity.channel_data
    if isinstance(channel_data, dict):
        tenant = channel_data.get("tenant") or {}
        if isinstance(tenant, dict) and tenant.get("id"):
            return str(tenant["id"])
    return None


class ActivityGate:
    """Who may talk to the bot and where it may answer: allowed tenants and ``serviceUrl`` hosts.

    The bot posts its reply to the activity's ``serviceUrl`` with its own token; a forged activity
    must not be able to send that token or an answer anywhere but Microsoft's Bot Connector.
    """

    def __init__(
        self, tenants: frozenset[str], service_url_hosts: tuple[str, ...], plain_http_hosts: tuple[str, ...] = ()
    ) -> None:
        """``plain_http_hosts``: hosts that may be reached without TLS (loopback in dev mode)."""
        self._tenants = tenants
        self._hosts = service_url_hosts
        self._plain_http = plain_http_hosts

    def service_url_allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if not host or not any(fnmatch.fnmatchcase(host, pattern) for pattern in self._hosts):
            return False
        return parts.scheme == "https" or host in self._plain_http

    def refusal(self, activity: dict[str, Any]) -> str | None:
        """Why the activity is refused (a 403), or None."""
        if not self.service_url_allowed(str(activity.get("serviceUrl", ""))):
            return "serviceUrl is not a Bot Connector endpoint this bot answers to"
        if self._tenants and (tenant_of(Activity.model_validate(activity)) or "").lower() not in self._tenants:
            return "tenant is not allowed"
        return None
