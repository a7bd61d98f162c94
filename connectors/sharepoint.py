"""SharePoint document libraries and site pages through Graph, as typed changes.

Each drive is enumerated with ``/root/delta``; a drive with no saved cursor (or whose cursor Graph
no longer accepts, ``410 Gone``) starts with ``CursorReset`` followed by a full enumeration, so
the ingestor can drop what is no longer there. A site's pages (``/sites/{id}/pages``) have no
delta: they are listed in full each sync under the pseudo drive ``pages:<site id>`` and only pages
whose eTag changed are fetched again. Every Graph call goes through ``with_retries`` (long
``Retry-After``, 5xx and timeouts, see ``connectors/resilience.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.models.drive_item import DriveItem
from msgraph.generated.models.permission import Permission
from msgraph.generated.models.site_page import SitePage
from msgraph.generated.models.user import User

from caching import TTLCache
from connectors.errors import http_status, is_gone, is_not_found
from connectors.permissions import Lookups, PermissionMapping, lookups_needed, map_permissions
from connectors.resilience import RetryPolicy, with_retries
from connectors.site_pages import page_html, pages_drive_id, site_of_pages_drive
from retrieval.extract import media_type_for
from retrieval.source import Change, Checkpoint, CursorReset, Delete, Failure, ItemGone, Upsert
from retrieval.types import DocumentRef, name_stem

log = logging.getLogger(__name__)
T = TypeVar("T")


async def _get_url(builder: Any, url: str) -> Any:
    """The next page of a collection (an ``@odata.nextLink`` or a delta link)."""
    return await builder.with_url(url).get()


def site_key(site: str) -> str:
    """A Graph site id, or the ``hostname:/server-relative-path:`` form for a site URL."""
    if site.startswith(("https://", "http://")):
        parts = urlsplit(site)
        path = unquote(parts.path).rstrip("/")
        return f"{parts.hostname}:{path}:" if path else str(parts.hostname)
    return site


@dataclass(frozen=True)
class DriveInfo:
    site_id: str
    drive_id: str
    name: str


@dataclass(frozen=True)
class SourceOptions:
    """Tuning of ``SharePointSource`` (from settings)."""

    concurrency: int = 4
    retry: RetryPolicy = RetryPolicy()
    include_pages: bool = True
    site_group_map: Mapping[str, tuple[str, ...]] | None = None
    lookup_ttl_s: float = 300.0
    lookup_max_entries: int = 20_000


def _content_tag(item: DriveItem) -> str:
    """What changes exactly when the bytes change: the content hash, else cTag, else eTag.

    Delta omits ``cTag`` in SharePoint and ``eTag`` changes on every rename or move; the
    quickXorHash lets a moved or renamed file be re-stamped instead of downloaded and re-embedded.
    """
    hashes = item.file.hashes if item.file is not None else None
    if hashes is not None and hashes.quick_xor_hash:
        return f"qxh:{hashes.quick_xor_hash}"
    return item.c_tag or item.e_tag or ""


class SharePointSource:
    """A ``DocumentSource`` over the configured SharePoint sites (or all the app can see)."""

    def __init__(
        self,
        client: GraphServiceClient,
        tenant_id: str,
        sites: list[str],
        max_document_bytes: int = 50 * 1024 * 1024,
        options: SourceOptions | None = None,
    ) -> None:
        self._client = client
        self._max_bytes = max_document_bytes
        self._tenant_id = tenant_id
        self._sites = sites
        self._options = options or SourceOptions()
        self._semaphore = asyncio.Semaphore(self._options.concurrency)
        self._site_group_map = {k.lower(): tuple(v) for k, v in (self._options.site_group_map or {}).items()}
        # Directory lookups (drive owner group, users by UPN, group owners), keyed by (kind, key).
        self._cache: TTLCache[tuple[str, str], Any] = TTLCache(
            self._options.lookup_ttl_s, self._options.lookup_max_entries
        )

    async def _call(self, call: Callable[[], Awaitable[T]], what: str) -> T:
        return await with_retries(call, self._options.retry, what)

    async def _pages(self, first: Callable[[], Awaitable[Any]], builder: Any, what: str) -> list[Any]:
        """Every value of a paged collection; each page is retried, never skipped."""
        values: list[Any] = []
        page = await self._call(first, what)
        while page is not None:
            values.extend(page.value or [])
            if not page.odata_next_link:
                break
            page = await self._call(partial(_get_url, builder, page.odata_next_link), what)
        return values

    async def site_ids(self) -> list[str]:
        if not self._sites:
            builder = self._client.sites.get_all_sites
            return [s.id for s in await self._pages(builder.get, builder, "list sites") if s.id]
        resolved = []
        for site in self._sites:
            found = await self._call(self._client.sites.by_site_id(site_key(site)).get, f"site {site}")
            if found is None or not found.id:
                raise LookupError(f"SharePoint site not found: {site}")
            resolved.append(found.id)
        return resolved

    async def drives(self, site_ids: list[str] | None = None) -> list[DriveInfo]:
        drives: list[DriveInfo] = []
        for site_id in site_ids if site_ids is not None else await self.site_ids():
            builder = self._client.sites.by_site_id(site_id).drives
            for drive in await self._pages(builder.get, builder, f"drives of {site_id}"):
                if drive.id:
                    drives.append(DriveInfo(site_id, drive.id, drive.name or ""))
        return drives

    async def changes(
        self, cursors: Mapping[str, str], known_tags: Mapping[tuple[str, str], str]
    ) -> AsyncIterator[Change]:
        site_ids = await self.site_ids()
        for drive in await self.drives(site_ids):
            async for change in self._drive_changes(drive, cursors.get(drive.drive_id), known_tags):
                yield change
        if self._options.include_pages:
            for site_id in site_ids:
                async for change in self._page_changes(site_id, known_tags):
                    yield change

    # -- document libraries ----------------------------------------------------------------------

    async def _drive_changes(
        self, drive: DriveInfo, cursor: str | None, known_tags: Mapping[tuple[str, str], str]
    ) -> AsyncIterator[Change]:
        builder = self._client.drives.by_drive_id(drive.drive_id).items.by_drive_item_id("root").delta
        what = f"delta of drive {drive.name or drive.drive_id}"
        if cursor is None:
            yield CursorReset(drive.drive_id)
            page = await self._call(builder.get, what)
        else:
            try:
                page = await self._call(partial(_get_url, builder, cursor), what)
            except Exception as exc:
                if http_status(exc) != 410:
                    raise
                log.warning("delta cursor of drive %s expired (410): full resync", drive.drive_id)
                yield CursorReset(drive.drive_id)
                page = await self._call(builder.get, what)
        while page is not None:
            items = list(page.value or [])
            results = await asyncio.gather(*(self._item_change(drive, item, known_tags) for item in items))
            for change in results:
                if change is not None:
                    yield change
            if page.odata_next_link:
                yield Checkpoint(drive.drive_id, page.odata_next_link, partial=True)
                page = await self._call(partial(_get_url, builder, page.odata_next_link), what)
                continue
            if page.odata_delta_link:
                yield Checkpoint(drive.drive_id, page.odata_delta_link)
            break

    async def _item_change(
        self, drive: DriveInfo, item: DriveItem, known_tags: Mapping[tuple[str, str], str]
    ) -> Change | None:
        if not item.id:
            return None
        if item.deleted is not None:
            return Delete(drive.drive_id, item.id)
        if item.file is None:
            return None  # folders, the root, OneNote packages
        name = item.name or item.id
        path = ""
        if item.parent_reference is not None and item.parent_reference.path:
            path = item.parent_reference.path.split("root:", 1)[-1].lstrip("/")
        doc = DocumentRef(
            item_id=item.id,
            drive_id=drive.drive_id,
            site_id=drive.site_id,
            title=name_stem(name),
            web_url=item.web_url or "",
            name=name,
            path=f"{path}/{name}" if path else name,
            content_tag=_content_tag(item),
        )
        async with self._semaphore:
            try:
                mapping = await self.item_acl(drive.drive_id, item.id)
            except Exception as exc:
                return Failure(drive.drive_id, item.id, name, "permissions_unreadable", str(exc)[:200])
            media_type = media_type_for(name, item.file.mime_type)
            unchanged = known_tags.get((drive.drive_id, item.id)) == doc.content_tag and doc.content_tag
            if unchanged:
                return Upsert(doc, mapping.acl, media_type, None, mapping.unknown)
            if item.size is not None and item.size > self._max_bytes:
                return Failure(drive.drive_id, item.id, name, "too_large", f"{item.size} bytes")
            content_builder = self._client.drives.by_drive_id(drive.drive_id).items.by_drive_item_id(item.id).content
            try:
                content = await self._call(content_builder.get, f"download of {name}")
            except Exception as exc:
                return Failure(drive.drive_id, item.id, name, "download_failed", str(exc)[:200])
            return Upsert(doc, mapping.acl, media_type, content or b"", mapping.unknown)

    # -- site pages -----------------------------------------------------------------------------

    async def _page_changes(self, site_id: str, known_tags: Mapping[tuple[str, str], str]) -> AsyncIterator[Change]:
        drive_id = pages_drive_id(site_id)
        builder = self._client.sites.by_site_id(site_id).pages.graph_site_page
        try:
            pages = await self._pages(builder.get, builder, f"pages of {site_id}")
        except Exception as exc:
            if http_status(exc) not in (400, 403, 404):
                raise
            log.warning("site %s: pages cannot be listed (%s); pages skipped", site_id, exc)
            return
        # No delta for pages: the full list is the truth, pages not listed again are gone.
        yield CursorReset(drive_id, full_listing=True)
        if not pages:
            yield Checkpoint(drive_id, "listed")
            return
        try:
            mapping = await self.item_acl(drive_id, "")
        except Exception as exc:
            for page in pages:
                yield Failure(drive_id, page.id or "", page.name or "", "permissions_unreadable", str(exc)[:200])
            return
        for page in pages:
            if page.id:
                yield await self._page_change(site_id, page, mapping, known_tags)
        yield Checkpoint(drive_id, "listed")

    async def _page_change(
        self, site_id: str, listed: SitePage, mapping: PermissionMapping, known_tags: Mapping[tuple[str, str], str]
    ) -> Change:
        drive_id, page_id = pages_drive_id(site_id), str(listed.id)
        name = listed.name or page_id
        doc = DocumentRef(
            item_id=page_id,
            drive_id=drive_id,
            site_id=site_id,
            title=listed.title or name_stem(name),
            web_url=listed.web_url or "",
            name=name,
            path=f"SitePages/{name}",
            content_tag=listed.e_tag or str(listed.last_modified_date_time or ""),
        )
        if doc.content_tag and known_tags.get((drive_id, page_id)) == doc.content_tag:
            return Upsert(doc, mapping.acl, "text/html", None, mapping.unknown)
        page_builder = self._client.sites.by_site_id(site_id).pages.by_base_site_page_id(page_id).graph_site_page
        query = page_builder.GraphSitePageRequestBuilderGetQueryParameters(expand=["canvasLayout"])
        config = RequestConfiguration(query_parameters=query)
        try:
            page = await self._call(lambda: page_builder.get(request_configuration=config), f"page {name}")
        except Exception as exc:
            return Failure(drive_id, page_id, name, "download_failed", str(exc)[:200])
        return Upsert(doc, mapping.acl, "text/html", page_html(page or listed), mapping.unknown)

    # -- permissions ----------------------------------------------------------------------------

    async def item_acl(self, drive_id: str, item_id: str) -> PermissionMapping:
        """The item's current ACL keys from its Graph permissions (sync and the answer-time check).

        For a site page (``drive_id`` ``pages:<site id>``) this is the ACL of the site's default
        document library root: the pages API has no per-page permissions. Raises ``ItemGone``
        when Graph answers 404/410 for the item, its library or (for a page) its site, and the
        SDK's error when Graph cannot be asked.
        """
        asked = (drive_id, item_id)
        try:
            site_id = site_of_pages_drive(drive_id)
            if site_id is not None:
                drive_id = await self._cache.get_or_load(("site_drive", site_id), lambda: self._default_drive(site_id))
                item_id = "root"
            permissions = await self._permissions(drive_id, item_id)
            connected = await self._cache.get_or_load(
                ("drive_group", drive_id), lambda: self._connected_group(drive_id)
            )
        except Exception as exc:
            if is_gone(exc):
                raise ItemGone(*asked, f"HTTP {http_status(exc)}") from exc
            raise
        needed = lookups_needed(permissions, connected)
        users = {upn: await self._cache.get_or_load(("upn", upn), partial(self._user_id, upn)) for upn in needed.upns}
        owners = {
            gid: await self._cache.get_or_load(("owners", gid), partial(self._group_owners, gid))
            for gid in needed.owner_groups
        }
        lookups = Lookups(
            connected_group_id=connected,
            users_by_upn={k: v for k, v in users.items() if v},
            group_owners=owners,
            site_group_map=self._site_group_map,
        )
        return map_permissions(permissions, self._tenant_id, lookups)

    async def _permissions(self, drive_id: str, item_id: str) -> list[Permission]:
        builder = self._client.drives.by_drive_id(drive_id).items.by_drive_item_id(item_id).permissions
        return await self._pages(builder.get, builder, f"permissions of {item_id}")

    async def _default_drive(self, site_id: str) -> str:
        drive = await self._call(self._client.sites.by_site_id(site_id).drive.get, f"default drive of {site_id}")
        if drive is None or not drive.id:
            raise LookupError(f"site {site_id} has no document library")
        return drive.id

    async def _connected_group(self, drive_id: str) -> str | None:
        """The Microsoft 365 group that owns the drive's site (a group-connected team site)."""
        drive = await self._call(self._client.drives.by_drive_id(drive_id).get, f"drive {drive_id}")
        owner = drive.owner if drive is not None else None
        # drive.owner is an identitySet; msgraph-sdk models no ``group`` on it, so it lands in additional_data
        group = (owner.additional_data or {}).get("group") if owner is not None else None
        group_id = group.get("id") if isinstance(group, dict) else None
        return str(group_id).lower() if group_id else None

    async def _user_id(self, upn: str) -> str | None:
        try:
            user = await self._call(self._client.users.by_user_id(upn).get, f"user {upn}")
        except Exception as exc:
            if is_not_found(exc):
                return None
            raise
        return user.id if user is not None else None

    async def _group_owners(self, group_id: str) -> tuple[str, ...]:
        builder = self._client.groups.by_group_id(group_id).owners
        owners = await self._pages(builder.get, builder, f"owners of {group_id}")
        return tuple(str(o.id).lower() for o in owners if isinstance(o, User) and o.id)
