"""``/drives/{id}/root/delta``: paged change enumeration with next/delta links.

Tokens are opaque to clients; inside they carry the store epoch (bumped by
``/_admin/delta/reset`` and ``/_admin/reset``), the drive, the change window
``(since, upto]`` and the paging cursor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from aiohttp import web

from .graph_common import GraphError, context_url, decode_token, encode_token, page_size
from .models import Drive, Item
from .shapes import tombstone_json
from .state import CONFIG_KEY, STATE_KEY

ItemRenderer = Callable[[web.Request, Item, bool], dict[str, Any]]


def delta_link(request: web.Request, drive: Drive, token: dict[str, Any]) -> str:
    base = request.app[CONFIG_KEY].graph_base_url
    return f"{base}/drives/{quote(drive.id, safe='!')}/root/delta?token={encode_token(token)}"


def _resync_error(request: web.Request, drive: Drive) -> GraphError:
    fresh = delta_link(request, drive, {"e": request.app[STATE_KEY].epoch, "d": drive.id, "s": 0})
    return GraphError(
        410,
        "resyncRequired",
        "Resync required. Replace any local items with the server's version (including deletes) "
        "if you're sure that the service was up to date with your local changes when you last "
        "sync'd. Upload any local changes that the server doesn't know about.",
        headers={"Location": fresh},
        inner_code="resyncChangesApplyDifferences",
    )


def delta_response(request: web.Request, drive: Drive, path_token: str | None, render: ItemRenderer) -> web.Response:
    state = request.app[STATE_KEY]
    store = state.store
    raw = request.query.get("token") or path_token
    if raw == "latest":
        body = {
            "@odata.context": context_url(request, "Collection(driveItem)"),
            "value": [],
            "@odata.deltaLink": delta_link(request, drive, {"e": state.epoch, "d": drive.id, "s": store.seq}),
        }
        return web.json_response(body)
    if raw:
        token = decode_token(raw)
        if token.get("e") != state.epoch or token.get("d") != drive.id:
            raise _resync_error(request, drive)
        since = int(token.get("s", 0))
        upto = int(token.get("u", store.seq))
        after = int(token.get("a", 0))
    else:
        since, upto, after = 0, store.seq, 0
    exclude_parents = "deltaexcludeparent" in {h.lower() for h in request.headers}
    changes, more = store.changes(drive, since, upto, after, page_size(request), exclude_parents)
    show_sharing = "deltashowsharingchanges" in request.headers.get("Prefer", "").lower()
    values: list[dict[str, Any]] = []
    for change in changes:
        if change.tombstone is not None:
            values.append(tombstone_json(store, drive, change.tombstone))
            continue
        assert change.item is not None
        body = render(request, change.item, True)
        if show_sharing and change.sharing_only:
            body["@microsoft.graph.sharedChanged"] = "True"
        values.append(body)
    response: dict[str, Any] = {
        "@odata.context": context_url(request, "Collection(driveItem)"),
        "value": values,
    }
    if more:
        cursor = {"e": state.epoch, "d": drive.id, "s": since, "u": upto, "a": changes[-1].key}
        response["@odata.nextLink"] = delta_link(request, drive, cursor)
    else:
        response["@odata.deltaLink"] = delta_link(request, drive, {"e": state.epoch, "d": drive.id, "s": upto})
    headers = {"Preference-Applied": "deltashowsharingchanges"} if show_sharing else {}
    return web.json_response(response, headers=headers)
