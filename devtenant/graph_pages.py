"""Graph handlers for site pages: ``/sites/{id}/pages`` (beta-era ``sitePage`` API, now v1.0).

``GET /sites/{site}/pages`` and ``/pages/microsoft.graph.sitePage`` list the pages;
``/pages/{id}`` and ``/pages/{id}/microsoft.graph.sitePage`` return one, with its
``canvasLayout`` (sections, columns, text web parts) only when ``$expand=canvasLayout`` is asked
for, as Graph does. The cast segment is accepted with and without the ``microsoft.`` prefix
(msgraph-sdk sends ``graph.sitePage``).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from aiohttp import web

from .graph_common import GraphError, collection_response, entity_response
from .models import Page, Site
from .shapes import site_url
from .state import CONFIG_KEY

_CAST = r"(?:/(?:microsoft\.)?graph\.sitePage)?"
_LIST = re.compile(rf"{_CAST}")
_ONE = re.compile(rf"/(?P<page>[^/]+?){_CAST}")
_AUTHOR = {"user": {"displayName": "System Account"}}


def _canvas(page: Page) -> dict[str, Any]:
    parts = [
        {
            "@odata.type": "#microsoft.graph.textWebPart",
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{page.id}/{i}")),
            "innerHtml": html,
        }
        for i, html in enumerate(page.html)
    ]
    return {
        "horizontalSections": [
            {
                "layout": "oneColumn",
                "id": "1",
                "emphasis": "none",
                "columns": [{"id": "1", "width": 12, "webparts": parts}],
            }
        ]
    }


def page_json(base_url: str, site: Site, page: Page, expand: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "@odata.type": "#microsoft.graph.sitePage",
        "id": page.id,
        "name": page.name,
        "title": page.title,
        "webUrl": f"{site_url(base_url, site)}/SitePages/{page.name}",
        "eTag": f'"{{{page.etag_id}}},{page.version}"',
        "createdDateTime": page.created,
        "lastModifiedDateTime": page.modified,
        "createdBy": _AUTHOR,
        "lastModifiedBy": _AUTHOR,
        "pageLayout": "article",
        "promotionKind": "page",
        "publishingState": {"level": "published", "versionId": f"{page.version}.0"},
        "parentReference": {"siteId": site.id},
    }
    if expand:
        body["canvasLayout"] = _canvas(page)
    return body


def site_pages_request(request: web.Request, site: Site, rest: str) -> web.StreamResponse:
    base_url = request.app[CONFIG_KEY].url
    expand = "canvaslayout" in request.query.get("$expand", "").lower()
    if _LIST.fullmatch(rest):
        pages = [
            page_json(base_url, site, p, expand) for p in sorted(site.pages.values(), key=lambda p: p.name.lower())
        ]
        return collection_response(request, pages, f"sites('{site.id}')/pages")
    match = _ONE.fullmatch(rest)
    page = site.pages.get(match.group("page")) if match else None
    if page is None:
        raise GraphError(404, "itemNotFound", "The page could not be found.")
    return entity_response(request, page_json(base_url, site, page, expand), f"sites('{site.id}')/pages/$entity")
