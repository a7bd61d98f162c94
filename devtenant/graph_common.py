"""Graph-flavoured HTTP helpers: errors, OData envelopes, $select and paging."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from .state import CONFIG_KEY

MAX_TOP = 999
_FILTER_EQ = re.compile(r"^\s*([A-Za-z]+)\s+eq\s+'((?:[^']|'')*)'\s*$")

ERROR_CODES: dict[int, str] = {
    400: "invalidRequest",
    401: "InvalidAuthenticationToken",
    403: "accessDenied",
    404: "itemNotFound",
    409: "nameAlreadyExists",
    410: "resyncRequired",
    429: "TooManyRequests",
    500: "generalException",
    501: "notSupported",
    503: "serviceNotAvailable",
    504: "UnknownError",
}


class GraphError(Exception):
    """Raised by handlers; rendered as a Graph error response."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        message: str = "",
        headers: Mapping[str, str] | None = None,
        inner_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or ERROR_CODES.get(status, "generalException")
        self.message = message or self.code
        self.headers = dict(headers or {})
        self.inner_code = inner_code


def error_response(request: web.Request, error: GraphError) -> web.Response:
    """Graph's error envelope: ``{"error": {"code", "message", "innerError"}}``."""
    request_id = str(uuid.uuid4())
    inner: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": request_id,
        "client-request-id": request.headers.get("client-request-id", request_id),
    }
    if error.inner_code:
        inner["code"] = error.inner_code
    body = {"error": {"code": error.code, "message": error.message, "innerError": inner}}
    headers = {"request-id": request_id, **error.headers}
    return web.json_response(body, status=error.status, headers=headers)


def graph_base(request: web.Request) -> str:
    return request.app[CONFIG_KEY].graph_base_url


def context_url(request: web.Request, fragment: str) -> str:
    return f"{graph_base(request)}/$metadata#{fragment}"


def _select_fields(request: web.Request) -> set[str] | None:
    raw = request.query.get("$select")
    if not raw:
        return None
    return {part.strip() for part in raw.split(",") if part.strip()}


def apply_select(obj: dict[str, Any], fields: set[str] | None) -> dict[str, Any]:
    """Keep annotations, ``id`` and the selected properties (loose `$select`)."""
    if fields is None:
        return obj
    return {k: v for k, v in obj.items() if k.startswith("@") or k == "id" or k in fields}


def apply_filter(request: web.Request, objects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Support ``$filter=prop eq 'value'`` (case-insensitive); 400 for anything else."""
    raw = request.query.get("$filter")
    objects = list(objects)
    if not raw:
        return objects
    match = _FILTER_EQ.match(raw)
    if match is None:
        raise GraphError(400, "Request_UnsupportedQuery", f"Unsupported query filter: {raw} (devtenant)")
    prop, value = match.group(1), match.group(2).replace("''", "'")
    return [o for o in objects if str(o.get(prop, "")).lower() == value.lower()]


def entity_response(request: web.Request, obj: Mapping[str, Any], context: str, status: int = 200) -> web.Response:
    body = {"@odata.context": context_url(request, context), **obj}
    return web.json_response(apply_select(body, _select_fields(request)), status=status)


def encode_token(data: Mapping[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_token(token: str) -> dict[str, Any]:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError) as exc:
        raise GraphError(400, "invalidRequest", "Invalid or malformed token") from exc
    if not isinstance(data, dict):
        raise GraphError(400, "invalidRequest", "Invalid or malformed token")
    return data


def page_size(request: web.Request) -> int:
    size = request.app[CONFIG_KEY].page_size
    top = request.query.get("$top")
    if top:
        try:
            size = max(1, min(int(top), MAX_TOP))
        except ValueError as exc:
            raise GraphError(400, "invalidRequest", f"Invalid $top value '{top}'") from exc
    return size


def link_for(request: web.Request, **params: str) -> str:
    """Absolute URL of the current resource with `params` replacing query parameters."""
    query = {k: v for k, v in request.query.items() if k not in params}
    query.update(params)
    base = f"{request.app[CONFIG_KEY].url}{request.rel_url.raw_path}"
    return f"{base}?{urlencode(query, safe='$,')}" if query else base


def collection_response(request: web.Request, objects: Iterable[Mapping[str, Any]], context: str) -> web.Response:
    """A ``value`` page with ``@odata.nextLink`` (opaque ``$skiptoken``) when more follow."""
    items = apply_filter(request, (dict(o) for o in objects))
    size = page_size(request)
    offset = 0
    if "$skiptoken" in request.query:
        offset = int(decode_token(request.query["$skiptoken"]).get("offset", 0))
    page = items[offset : offset + size]
    fields = _select_fields(request)
    body: dict[str, Any] = {"@odata.context": context_url(request, context)}
    if offset + size < len(items):
        body["@odata.nextLink"] = link_for(request, **{"$skiptoken": encode_token({"offset": offset + size})})
    body["value"] = [apply_select(obj, fields) for obj in page]
    return web.json_response(body)
