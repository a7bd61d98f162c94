"""Decoding a request body that must be one JSON object (activities and /api/ask alike)."""

from __future__ import annotations

import json
from typing import Any


class InvalidBody(ValueError):
    """The body is not a JSON object in UTF-8 within the size limit; the message is safe to return.

    ``status`` is the HTTP status to answer with (413 for size, else 400).
    """

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def json_object(body: bytes, max_bytes: int, what: str = "body") -> dict[str, Any]:
    """``body`` as a dict, or ``InvalidBody``."""
    if len(body) > max_bytes:
        raise InvalidBody(f"{what} larger than {max_bytes} bytes", 413)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidBody(f"{what} is not valid UTF-8") from exc
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InvalidBody(f"{what} is not valid JSON") from exc
    if not isinstance(data, dict):
        raise InvalidBody(f"{what} must be a JSON object")
    return data
