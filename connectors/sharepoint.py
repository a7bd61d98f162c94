"""SharePoint document libraries through Graph: sites → drives → delta → content + permissions.

Yields ``retrieval.source`` changes. Each drive is enumerated with ``/root/delta``; a drive with
no saved cursor (or whose cursor Graph no longer accepts, ``410 Gone``) starts with
``CursorReset`` followed by a full enumeration, so the ingestor can drop what is no longer there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from msgraph import GraphServiceClient
from msgraph.generated.models.drive_item import DriveItem
from msgraph.generated.models.permission import Permission

from connectors.errors import status_of
from connectors.permissions import PermissionMapping, map_permissions
from retrieval.extract import media_type_for
from retrieval.source import Change, Checkpoint, CursorReset, Delete, Failure, Upsert
from retrieval.types import DocumentRef

log = logging.getLogger(__name__)


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


class SharePointSource:
    """A ``DocumentSource`` over the configured SharePoint sites (or all the app can see)."""

    def __init__(
        self,
        client: GraphServiceClient,
        tenant_id: str,
        sites: list[str],
        max_document_bytes: int,
        concurrency: int = 4,
    ) -> None:
        self._client = client
        self._tenant_id = tenant_id
        self._sites = sites
        self._max_bytes = max_document_bytes
        self._semaphore = asyncio.Semaphore(concurrency)

    async def site_ids(self) -> list[str]:
        if not self._sites:
            ids: list[str] = []
            page = await self._client.sites.get_all_sites.get()
            while page is not None:
                ids.extend(s.id for s in page.value or [] if s.id)
                if not page.odata_next_link:
                    break
                page = await self._client.sites.get_all_sites.with_url(page.odata_next_link).get()
            return ids
        resolved = []
        for site in self._sites:
            found = await self._client.sites.by_site_id(site_key(site)).get()
            if found is None or not found.id:
                raise LookupError(f"SharePoint site not found: {site}")
            resolved.append(found.id)
        return resolved

    async def drives(self) -> list[DriveInfo]:
        drives: list[DriveInfo] = []
        for site_id in await self.site_ids():
            page = await self._client.sites.by_site_id(site_id).drives.get()
            while page is not None:
                for drive in page.value or []:
                    if drive.id:
                        drives.append(DriveInfo(site_id, drive.id, drive.name or ""))
                if not page.odata_next_link:
                    break
                page = await self._client.sites.by_site_id(site_id).drives.with_url(page.odata_next_link).get()
        return drives

    async def changes(
        self, cursors: Mapping[str, str], known_tags: Mapping[tuple[str, str], str]
    ) -> AsyncIterator[Change]:
        for drive in await self.drives():
            cursor = cursors.get(drive.drive_id)
            async for change in self._drive_changes(drive, cursor, known_tags):
                yield change

    async def _drive_changes(
        self, drive: DriveInfo, cursor: str | None, known_tags: Mapping[tuple[str, str], str]
    ) -> AsyncIterator[Change]:
        builder = self._client.drives.by_drive_id(drive.drive_id).items.by_drive_item_id("root").delta
        if cursor is None:
            yield CursorReset(drive.drive_id)
            page = await builder.get()
        else:
            try:
                page = await builder.with_url(cursor).get()
            except Exception as exc:
                if status_of(exc) != 410:
                    raise
                log.warning("delta cursor of drive %s expired (410): full resync", drive.drive_id)
                yield CursorReset(drive.drive_id)
                page = await builder.get()
        while page is not None:
            items = list(page.value or [])
            results = await asyncio.gather(*(self._item_change(drive, item, known_tags) for item in items))
            for change in results:
                if change is not None:
                    yield change
            if page.odata_next_link:
                page = await builder.with_url(page.odata_next_link).get()
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
            title=name.rsplit(".", 1)[0] if "." in name else name,
            web_url=item.web_url or "",
            name=name,
            path=f"{path}/{name}" if path else name,
            content_tag=item.c_tag or item.e_tag or "",
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
            try:
                content = (
                    await self._client.drives.by_drive_id(drive.drive_id).items.by_drive_item_id(item.id).content.get()
                )
            except Exception as exc:
                return Failure(drive.drive_id, item.id, name, "download_failed", str(exc)[:200])
            return Upsert(doc, mapping.acl, media_type, content or b"", mapping.unknown)

    async def item_acl(self, drive_id: str, item_id: str) -> PermissionMapping:
        """The item's current ACL keys from its Graph permissions (sync and the answer-time check).

        Raises the SDK's error when Graph cannot be asked (404 when the item is gone).
        """
        return map_permissions(await self._permissions(drive_id, item_id), self._tenant_id)

    async def _permissions(self, drive_id: str, item_id: str) -> list[Permission]:
        builder = self._client.drives.by_drive_id(drive_id).items.by_drive_item_id(item_id).permissions
        result: list[Permission] = []
        page = await builder.get()
        while page is not None:
            result.extend(page.value or [])
            if not page.odata_next_link:
                break
            page = await builder.with_url(page.odata_next_link).get()
        return result
