"""SharePoint site pages (Graph ``/sites/{id}/pages``) as HTML documents for the extractor.

A modern page is a canvas: horizontal sections with columns of web parts, plus an optional
vertical section. Text web parts carry HTML (``innerHtml``, headings included); other web parts
(images, lists, news, ``standardWebPart``) carry configuration, not body text, and are left out
(their ``data.title``/``description`` are the web part's own name, "Image", not the author's
words). The page title becomes the ``<h1>``, so headings survive
into chunking exactly as for uploaded HTML files.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from msgraph.generated.models.site_page import SitePage
from msgraph.generated.models.text_web_part import TextWebPart
from msgraph.generated.models.web_part import WebPart

PAGES_PREFIX = "pages:"


def pages_drive_id(site_id: str) -> str:
    """The pseudo drive id under which a site's pages are indexed and checkpointed."""
    return f"{PAGES_PREFIX}{site_id}"


def site_of_pages_drive(drive_id: str) -> str | None:
    return drive_id.removeprefix(PAGES_PREFIX) if drive_id.startswith(PAGES_PREFIX) else None


def _web_parts(page: SitePage) -> Iterable[WebPart]:
    layout = page.canvas_layout
    if layout is not None:
        for section in layout.horizontal_sections or []:
            for column in section.columns or []:
                yield from column.webparts or []
        if layout.vertical_section is not None:
            yield from layout.vertical_section.webparts or []
    elif page.web_parts:
        yield from page.web_parts


def _web_part_html(part: WebPart) -> str:
    return (part.inner_html or "") if isinstance(part, TextWebPart) else ""


def page_html(page: SitePage) -> bytes:
    """The page as one HTML document: title as ``<h1>``, then every text web part in order."""
    title = html.escape(page.title or page.name or "")
    body = "\n".join(part for part in (_web_part_html(p) for p in _web_parts(page)) if part.strip())
    if not body.strip():
        return b""
    document = f"<html><head><title>{title}</title></head><body><h1>{title}</h1>\n{body}\n</body></html>"
    return document.encode("utf-8")
