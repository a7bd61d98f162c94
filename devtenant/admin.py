"""``/_admin``: unauthenticated (loopback-only) test controls for content, faults and outages."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from aiohttp import web

from .config import is_loopback_host
from .graph_files import item_json
from .graph_pages import page_json
from .models import Drive, Site
from .shapes import validate_readers
from .state import CONFIG_KEY, STATE_KEY, Fault, TenantState


def _bad(message: str, status: int = 400) -> web.HTTPException:
    cls = {400: web.HTTPBadRequest, 404: web.HTTPNotFound, 409: web.HTTPConflict}[status]
    return cls(text=json.dumps({"error": message}), content_type="application/json")


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError as exc:
        raise _bad("body must be JSON") from exc
    if not isinstance(data, dict):
        raise _bad("body must be a JSON object")
    return data


def _content(data: dict[str, Any]) -> bytes | None:
    if "text" in data:
        return str(data["text"]).encode("utf-8")
    raw = data.get("content_base64", data.get("content"))
    if raw is None:
        return None
    try:
        return base64.b64decode(str(raw), validate=True)
    except binascii.Error as exc:
        raise _bad("content_base64 is not valid base64") from exc


def _readers(state: TenantState, data: dict[str, Any]) -> list[str] | None:
    readers = data.get("readers")
    if readers is None:
        return None
    if not isinstance(readers, list):
        raise _bad("readers must be a list")
    try:
        validate_readers(state.directory, [str(r) for r in readers])
    except ValueError as exc:
        raise _bad(str(exc)) from exc
    return [str(r) for r in readers]


def _drive(state: TenantState, data: dict[str, Any]) -> Drive:
    site = state.store.site(str(data.get("site", "")))
    if site is None:
        site = next(iter(state.store.sites.values()), None) if "site" not in data else None
    if site is None:
        raise _bad(f"unknown site {data.get('site')!r}", 404)
    wanted = data.get("drive")
    for drive_id in site.drive_ids:
        drive = state.store.drives[drive_id]
        if wanted in (None, drive.id, drive.name):
            return drive
    raise _bad(f"unknown drive {wanted!r} in site {site.name!r}", 404)


async def put_item(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    data = await _json(request)
    content = _content(data)
    if "path" not in data or content is None:
        raise _bad("'path' and 'content_base64' (or 'text') are required")
    drive = _drive(state, data)
    try:
        item, created = state.store.put_file(
            drive,
            str(data["path"]),
            content,
            _readers(state, data),
            title=data.get("title"),
            item_id=data.get("id"),
        )
    except ValueError as exc:
        raise _bad(str(exc), 409) from exc
    return web.json_response(item_json(request, item), status=201 if created else 200)


async def patch_item(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    item = state.store.find_item(request.match_info["item_id"])
    if item is None:
        raise _bad("no such item", 404)
    data = await _json(request)
    new_path = data.get("path")
    if new_path is None and "name" in data:
        parent_path = state.store.path_of(item).rpartition("/")[0]
        new_path = f"{parent_path}/{data['name']}".strip("/")
    try:
        state.store.update_item(
            item,
            new_path=new_path,
            readers=_readers(state, data),
            content=_content(data),
            title=data.get("title"),
        )
    except ValueError as exc:
        raise _bad(str(exc), 409) from exc
    return web.json_response(item_json(request, item))


async def delete_item(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    item = state.store.find_item(request.match_info["item_id"])
    if item is None:
        raise _bad("no such item", 404)
    try:
        deleted = state.store.delete_item(item)
    except ValueError as exc:
        raise _bad(str(exc), 409) from exc
    return web.json_response({"deleted": deleted})


def _site(state: TenantState, data: dict[str, Any]) -> Site:
    site = state.store.site(str(data["site"])) if "site" in data else next(iter(state.store.sites.values()), None)
    if site is None:
        raise _bad(f"unknown site {data.get('site')!r}", 404)
    return site


async def put_page(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    data = await _json(request)
    html = data.get("html")
    if "name" not in data or not isinstance(html, list):
        raise _bad("'name' and 'html' (a list of text web part HTML strings) are required")
    site = _site(state, data)
    page = state.store.put_page(
        site, str(data["name"]), str(data.get("title", "")), [str(h) for h in html], data.get("id")
    )
    return web.json_response(page_json(request.app[CONFIG_KEY].url, site, page, expand=True))


async def delete_page(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    page_id = request.match_info["page_id"]
    for site in state.store.sites.values():
        if site.pages.pop(page_id, None) is not None:
            return web.json_response({"deleted": [page_id]})
    raise _bad("no such page", 404)


async def add_fault(request: web.Request) -> web.StreamResponse:
    data = await _json(request)
    try:
        status = int(data["status"])
        pattern = re.compile(str(data.get("path_regex", ".*")))
        retry_after = data.get("retry_after")
        fault = Fault(
            pattern=pattern,
            status=status,
            retry_after=float(retry_after) if retry_after is not None else None,
            remaining=int(data.get("count", 1)),
            method=data.get("method"),
            code=data.get("code"),
        )
    except (KeyError, ValueError, re.error) as exc:
        raise _bad(f"invalid fault: {exc}") from exc
    if not 400 <= status <= 599 or fault.remaining < 1:
        raise _bad("status must be 4xx/5xx and count >= 1")
    request.app[STATE_KEY].faults.append(fault)
    return web.json_response(fault.describe(), status=201)


async def list_faults(request: web.Request) -> web.StreamResponse:
    return web.json_response([f.describe() for f in request.app[STATE_KEY].faults])


async def clear_faults(request: web.Request) -> web.StreamResponse:
    request.app[STATE_KEY].faults.clear()
    return web.json_response({"ok": True})


async def reset_delta(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    state.epoch += 1
    return web.json_response({"epoch": state.epoch})


async def set_down(request: web.Request) -> web.StreamResponse:
    request.app[STATE_KEY].down = True
    return web.json_response({"down": True})


async def set_up(request: web.Request) -> web.StreamResponse:
    request.app[STATE_KEY].down = False
    return web.json_response({"down": False})


async def list_requests(request: web.Request) -> web.StreamResponse:
    return web.json_response(list(request.app[STATE_KEY].requests))


async def clear_requests(request: web.Request) -> web.StreamResponse:
    request.app[STATE_KEY].requests.clear()
    return web.json_response({"ok": True})


async def reset_all(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    state.reset(request.app[CONFIG_KEY])
    return web.json_response({"epoch": state.epoch})


async def status(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    return web.json_response(
        {
            "epoch": state.epoch,
            "seq": state.store.seq,
            "down": state.down,
            "faults": len(state.faults),
            "requests": len(state.requests),
            "items": sum(len(d.items) for d in state.store.drives.values()),
        }
    )


@web.middleware
async def loopback_only(request: web.Request, handler: Any) -> web.StreamResponse:
    if request.path.startswith("/_admin") and not is_loopback_host(request.remote or ""):
        raise web.HTTPForbidden(text="admin API is loopback-only")
    response: web.StreamResponse = await handler(request)
    return response


def add_admin_routes(app: web.Application) -> None:
    app.router.add_get("/_admin", status)
    app.router.add_post("/_admin/items", put_item)
    app.router.add_patch("/_admin/items/{item_id}", patch_item)
    app.router.add_delete("/_admin/items/{item_id}", delete_item)
    app.router.add_post("/_admin/pages", put_page)
    app.router.add_delete("/_admin/pages/{page_id}", delete_page)
    app.router.add_post("/_admin/faults", add_fault)
    app.router.add_get("/_admin/faults", list_faults)
    app.router.add_delete("/_admin/faults", clear_faults)
    app.router.add_post("/_admin/delta/reset", reset_delta)
    app.router.add_post("/_admin/down", set_down)
    app.router.add_post("/_admin/up", set_up)
    app.router.add_get("/_admin/requests", list_requests)
    app.router.add_delete("/_admin/requests", clear_requests)
    app.router.add_post("/_admin/reset", reset_all)
