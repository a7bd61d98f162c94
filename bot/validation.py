"""Checking a POST /api/messages body before the Agents SDK sees it.

The SDK answers some bodies that are not activities (``{}``, ``[]``, a message without a
conversation) with a 500; everything that is not a well-formed Bot Framework activity gets a
clear 400 here instead.
"""

from __future__ import annotations

import json
from typing import Any

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
    if len(body) > MAX_ACTIVITY_BYTES:
        raise InvalidActivity(f"activity larger than {MAX_ACTIVITY_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidActivity("body is not valid UTF-8") from exc
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InvalidActivity("body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise InvalidActivity("an activity must be a JSON object")
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
    return data
