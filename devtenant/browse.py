"""Browser-facing pages behind the ``webUrl`` of sites, libraries, folders and files.

``{url}/sites/{site}/Shared%20Documents/{path}`` serves the document itself
(inline, with its content type) so that citation links open in a browser.
"""

from __future__ import annotations

import html
from urllib.parse import unquote

from aiohttp import web

from .graph_files import file_response
from .models import Drive, Item, Site
from .shapes import item_web_url, library_segment, mime_type, site_url
from .state import CONFIG_KEY, STATE_KEY


def _page(title: str, links: list[tuple[str, str]]) -> web.Response:
    rows = "\n".join(f'<li><a href="{html.escape(h)}">{html.escape(t)}</a></li>' for h, t in links)
    body = (
        f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<h1>{html.escape(title)}</h1><ul>\n{rows}\n</ul>"
    )
    return web.Response(text=body, content_type="text/html")


def _site(request: web.Request) -> Site:
    site = request.app[STATE_KEY].store.site(request.match_info["site"])
    if site is None:
        raise web.HTTPNotFound(text="no such site")
    return site


def _library(request: web.Request, site: Site) -> Drive:
    store = request.app[STATE_KEY].store
    wanted = unquote(request.match_info["library"])
    for drive_id in site.drive_ids:
        drive = store.drives[drive_id]
        if wanted in (unquote(library_segment(drive)), drive.name):
            return drive
    raise web.HTTPNotFound(text="no such library")


def _listing(request: web.Request, title: str, folder: Item) -> web.Response:
    base = request.app[CONFIG_KEY].url
    store = request.app[STATE_KEY].store
    links = [
        (item_web_url(base, store, child), child.name + ("/" if child.is_folder else ""))
        for child in store.children(folder)
    ]
    return _page(title, links)


async def site_page(request: web.Request) -> web.StreamResponse:
    site = _site(request)
    store = request.app[STATE_KEY].store
    base = request.app[CONFIG_KEY].url
    links = [
        (f"{site_url(base, site)}/{library_segment(store.drives[d])}", store.drives[d].name) for d in site.drive_ids
    ]
    return _page(site.display_name, links)


async def library_page(request: web.Request) -> web.StreamResponse:
    site = _site(request)
    drive = _library(request, site)
    return _listing(request, f"{site.display_name} – {drive.name}", drive.root)


async def document(request: web.Request) -> web.StreamResponse:
    site = _site(request)
    drive = _library(request, site)
    store = request.app[STATE_KEY].store
    item = store.item_by_path(drive, unquote(request.match_info["path"]))
    if item is None:
        raise web.HTTPNotFound(text="no such document")
    if item.is_folder:
        return _listing(request, f"{site.display_name} – {store.path_of(item)}", item)
    return file_response(item, mime_type(item.name), disposition="inline")


def add_browse_routes(app: web.Application) -> None:
    app.router.add_get("/sites/{site}", site_page)
    app.router.add_get("/sites/{site}/{library}", library_page)
    app.router.add_get("/sites/{site}/{library}/{path:.+}", document)
