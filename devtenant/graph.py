"""Routing of ``/v1.0/...`` requests to the Graph handlers.

Graph paths carry ids with reserved characters (``b!...`` drive ids, UPNs with
``@``, ``host:/sites/name:`` site addresses that SDKs percent-encode), so the
path is decoded once and matched against regular expressions here instead of
using aiohttp's router.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from . import graph_directory as directory
from . import graph_files as files
from .graph_common import GraphError

Handler = Callable[..., Awaitable[web.StreamResponse]]

_ID = r"[^/]+"
_CAST = r"(?:/(?:microsoft\.)?graph\.(?P<cast>user|group))?"
_SITE = r"(?P<site>[^/:]+:/sites/[^/:]+:?|[^/]+)"


async def _me(request: web.Request) -> web.StreamResponse:
    raise GraphError(400, "BadRequest", "/me request is only valid with delegated authentication flow.")


ROUTES: list[tuple[re.Pattern[str], Handler]] = [
    (re.compile(r"/me(?:/.*)?"), _me),
    (re.compile(r"/users"), directory.list_users),
    (re.compile(rf"/users/(?P<uid>{_ID})"), directory.get_user),
    (re.compile(rf"/users/(?P<uid>{_ID})/(?P<rel>memberOf|transitiveMemberOf){_CAST}"), directory.user_relation),
    (re.compile(r"/groups"), directory.list_groups),
    (re.compile(rf"/groups/(?P<gid>{_ID})"), directory.get_group),
    (
        re.compile(
            rf"/groups/(?P<gid>{_ID})/(?P<rel>members|transitiveMembers|memberOf|"
            rf"transitiveMemberOf|owners){_CAST}"
        ),
        directory.group_relation,
    ),
    (re.compile(r"/sites(?:/getAllSites(?:\(\))?)?"), files.list_sites),
    (re.compile(rf"/sites/{_SITE}(?P<rest>/.*)?"), files.get_site),
    (re.compile(rf"/drives/(?P<drive>{_ID})(?P<rest>/.*)?"), files.get_drive),
]


def normalise_path(raw_path: str) -> str:
    """Decoded path below ``/v1.0`` without a trailing slash."""
    path = re.sub(r"/{2,}", "/", unquote(raw_path))
    path = path.removeprefix("/v1.0")
    return path.rstrip("/") or "/"


async def dispatch(request: web.Request) -> web.StreamResponse:
    """Entry point for every ``/v1.0`` request (after auth and fault checks)."""
    if request.method not in ("GET", "HEAD"):
        raise GraphError(
            405, "Request_BadRequest", f"Method {request.method} is not supported by devtenant's Graph subset"
        )
    path = normalise_path(request.rel_url.raw_path)
    for pattern, handler in ROUTES:
        match = pattern.fullmatch(path)
        if match:
            kwargs: dict[str, Any] = {k: v for k, v in match.groupdict().items() if v is not None}
            return await handler(request, **kwargs)
    segment = path.strip("/").split("/")[0] or "/"
    raise GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")
