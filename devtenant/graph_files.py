"""Graph handlers for sites, drives and driveItems (metadata, children, content, permissions)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from typing import Any
from urllib.parse import quote

from aiohttp import web

from .graph_common import GraphError, collection_response, entity_response
from .graph_delta import delta_response
from .graph_pages import site_pages_request
from .models import Drive, Item, Site
from .shapes import drive_item_json, drive_json, mime_type, permissions_json, site_json
from .state import CONFIG_KEY, STATE_KEY

DOWNLOAD_TTL_S = 3600
_ITEM_REST = re.compile(
    r"^(?:/(?P<op>children|content|permissions|delta)"
    r"(?:\(\)|\(token='(?P<token>[^']*)'\))?(?:/(?P<sub>[^/]+))?)?$"
)
_ROOT_PATH = re.compile(r"^/root:(?P<path>/[^:]*?)/?(?::(?P<rest>/.*)?)?$")


def _base(request: web.Request) -> str:
    return request.app[CONFIG_KEY].url


def _item_not_found() -> GraphError:
    return GraphError(404, "itemNotFound", "The resource could not be found.")


def resolve_site(request: web.Request, key: str) -> Site:
    store = request.app[STATE_KEY].store
    domain = request.app[STATE_KEY].manifest.domain
    if key in ("root", domain) and store.sites:
        return next(iter(store.sites.values()))
    site = store.site(key)
    if site is None:
        raise GraphError(404, "itemNotFound", "Requested site could not be found")
    return site


def resolve_drive(request: web.Request, drive_id: str) -> Drive:
    drive = request.app[STATE_KEY].store.drive(drive_id)
    if drive is None:
        raise GraphError(
            404, "itemNotFound", "The provided drive id appears to be malformed, or does not represent a valid drive."
        )
    return drive


# -- download URLs -----------------------------------------------------------------------
def download_url(request: web.Request, item: Item) -> str:
    """A pre-authenticated, expiring URL that serves the item's bytes without a token."""
    secret = request.app[STATE_KEY].download_secret
    payload = json.dumps(
        {"d": item.drive_id, "i": item.id, "x": int(time.time()) + DOWNLOAD_TTL_S}, separators=(",", ":")
    ).encode()
    body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    sig = base64.urlsafe_b64encode(hmac.new(secret, body.encode(), hashlib.sha256).digest()[:18]).decode()
    return f"{_base(request)}/_download/{body}.{sig}"


def item_for_download(request: web.Request, token: str) -> Item:
    state = request.app[STATE_KEY]
    body, _, sig = token.partition(".")
    expected = base64.urlsafe_b64encode(
        hmac.new(state.download_secret, body.encode(), hashlib.sha256).digest()[:18]
    ).decode()
    if not hmac.compare_digest(sig, expected):
        raise GraphError(401, "unauthenticated", "Invalid download token")
    data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    if data["x"] < time.time():
        raise GraphError(401, "unauthenticated", "The download URL has expired")
    drive = state.store.drive(data["d"])
    item = state.store.item(drive, data["i"]) if drive else None
    if item is None or item.is_folder:
        raise _item_not_found()
    return item


def file_response(item: Item, content_type: str, disposition: str = "attachment") -> web.Response:
    filename = quote(item.name)
    return web.Response(
        body=item.content,
        content_type=content_type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{filename}",
            "ETag": f'"{{{item.etag_id}}},{item.version}"',
        },
    )


def item_json(request: web.Request, item: Item, in_delta: bool = False) -> dict[str, Any]:
    store = request.app[STATE_KEY].store
    url = None if item.is_folder else download_url(request, item)
    return drive_item_json(_base(request), store, item, in_delta=in_delta, download_url=url)


# -- sites -------------------------------------------------------------------------------
def _site_body(request: web.Request, site: Site) -> dict[str, Any]:
    return site_json(_base(request), request.app[STATE_KEY].manifest.domain, site)


async def list_sites(request: web.Request) -> web.StreamResponse:
    sites = list(request.app[STATE_KEY].store.sites.values())
    term = (request.query.get("search") or request.query.get("$search") or "*").strip('"')
    if term != "*":
        sites = [s for s in sites if term.lower() in (s.name + " " + s.display_name).lower()]
    return collection_response(request, [_site_body(request, s) for s in sites], "sites")


async def get_site(request: web.Request, site: str, rest: str = "") -> web.StreamResponse:
    resolved = resolve_site(request, site)
    store = request.app[STATE_KEY].store
    if not rest:
        return entity_response(request, _site_body(request, resolved), "sites/$entity")
    if rest == "/pages" or rest.startswith("/pages/"):
        return site_pages_request(request, resolved, rest[len("/pages") :])
    if rest == "/drives":
        drives = [
            drive_json(_base(request), store, store.drives[d], request.app[STATE_KEY].directory)
            for d in resolved.drive_ids
        ]
        return collection_response(request, drives, "drives")
    match = re.fullmatch(r"/drive(?P<rest>/.*)?|/drives/(?P<drive>[^/]+)(?P<rest2>/.*)?", rest)
    if match is None:
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{rest.split('/')[1]}'.")
    if match.group("drive"):
        drive = resolve_drive(request, match.group("drive"))
        if drive.site_id != resolved.id:
            raise _item_not_found()
        return await drive_request(request, drive, match.group("rest2") or "")
    if not resolved.drive_ids:
        raise _item_not_found()
    return await drive_request(request, store.drives[resolved.drive_ids[0]], match.group("rest") or "")


# -- drives and items --------------------------------------------------------------------
async def get_drive(request: web.Request, drive: str, rest: str = "") -> web.StreamResponse:
    return await drive_request(request, resolve_drive(request, drive), rest)


async def drive_request(request: web.Request, drive: Drive, rest: str) -> web.StreamResponse:
    store = request.app[STATE_KEY].store
    if not rest:
        return entity_response(
            request, drive_json(_base(request), store, drive, request.app[STATE_KEY].directory), "drives/$entity"
        )
    if rest == "/root" or rest.startswith("/root/"):
        return await item_request(request, drive, drive.root, rest[len("/root") :])
    path_match = _ROOT_PATH.match(rest)
    if path_match:
        item = store.item_by_path(drive, path_match.group("path"))
        if item is None:
            raise _item_not_found()
        return await item_request(request, drive, item, path_match.group("rest") or "")
    items_match = re.fullmatch(r"/items/(?P<item>[^/]+)(?P<rest>/.*)?", rest)
    if items_match:
        item = store.item(drive, items_match.group("item"))
        if item is None:
            raise _item_not_found()
        return await item_request(request, drive, item, items_match.group("rest") or "")
    raise GraphError(400, "BadRequest", f"Resource not found for the segment '{rest.split('/')[1]}'.")


async def item_request(request: web.Request, drive: Drive, item: Item, rest: str) -> web.StreamResponse:
    match = _ITEM_REST.match(rest)
    if match is None:
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{rest.split('/')[1]}'.")
    op, sub = match.group("op"), match.group("sub")
    state = request.app[STATE_KEY]
    item_ctx = f"drives('{quote(drive.id)}')/items('{item.id}')"
    if op is None:
        return entity_response(request, item_json(request, item), f"drives('{quote(drive.id)}')/items/$entity")
    if op == "children" and sub is None:
        if not item.is_folder:
            return collection_response(request, [], f"{item_ctx}/children")
        kids = [item_json(request, child) for child in state.store.children(item)]
        return collection_response(request, kids, f"{item_ctx}/children")
    if op == "content" and sub is None:
        if item.is_folder:
            raise GraphError(404, "itemNotFound", "The item does not have content (it is a folder).")
        raise web.HTTPFound(location=download_url(request, item))
    if op == "permissions":
        perms = permissions_json(_base(request), state.store, state.directory, item)
        if sub is None:
            return collection_response(request, perms, f"{item_ctx}/permissions")
        found = next((p for p in perms if p["id"] == sub), None)
        if found is None:
            raise _item_not_found()
        return entity_response(request, found, f"{item_ctx}/permissions/$entity")
    if op == "delta" and sub is None:
        if not item.is_root:
            raise GraphError(400, "invalidRequest", "Delta is only supported on the root of a document library")
        return delta_response(request, drive, match.group("token"), item_json)
    raise _item_not_found()


async def download(request: web.Request) -> web.StreamResponse:
    """``GET /_download/{token}``: the bytes behind a pre-authenticated download URL."""
    item = item_for_download(request, request.match_info["token"])
    return file_response(item, mime_type(item.name))
