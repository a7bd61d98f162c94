"""What a document source yields: typed changes, so one bad file never aborts a sync."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from retrieval.types import DocumentRef


class ItemPermissions(Protocol):
    """The ACL part of a permission lookup (``connectors.permissions.PermissionMapping``)."""

    @property
    def acl(self) -> frozenset[str]: ...

    @property
    def unknown(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Upsert:
    """A new or changed document. ``content`` is None when only its metadata or ACL changed."""

    doc: DocumentRef
    acl: frozenset[str]
    media_type: str
    content: bytes | None
    unknown_permissions: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Delete:
    """The item is gone (deleted, or moved out of what is synced)."""

    drive_id: str
    item_id: str


@dataclass(frozen=True)
class Checkpoint:
    """Everything before this has been yielded; ``cursor`` resumes after it.

    ``partial``: a place inside a drive's round (the next page of a delta enumeration); the round
    continues from it after a restart, and the ingestor may save it or wait for the next one.
    """

    drive_id: str
    cursor: str
    partial: bool = False


@dataclass(frozen=True)
class Failure:
    """An item that could not be read; ``reason`` is a short code for the report."""

    drive_id: str
    item_id: str
    name: str
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class CursorReset:
    """A full enumeration of the drive follows: what it does not yield again is gone.

    Sent when the source lost its place (no cursor, Graph 410), or, with ``full_listing``, for
    collections that have no delta and are always listed in full (site pages).
    """

    drive_id: str
    full_listing: bool = False


Change = Upsert | Delete | Checkpoint | Failure | CursorReset


class ItemGone(Exception):
    """The item no longer exists at the source (deleted since it was listed; Graph 404/410).

    Raised by ``DocumentSource.item_acl``, so that callers tell "gone, drop it" from "cannot ask
    now, keep what we have" without knowing the source's SDK.
    """

    def __init__(self, drive_id: str, item_id: str, detail: str = "") -> None:
        super().__init__(f"{drive_id}/{item_id} is gone" + (f": {detail}" if detail else ""))
        self.drive_id = drive_id
        self.item_id = item_id


class DocumentSource(Protocol):
    """A content source with per-drive cursors (SharePoint through Graph, in production)."""

    def changes(self, cursors: Mapping[str, str], known_tags: Mapping[tuple[str, str], str]) -> AsyncIterator[Change]:
        """Yield changes since ``cursors``; ``known_tags`` lets it skip unchanged downloads."""
        ...

    async def item_acl(self, drive_id: str, item_id: str) -> ItemPermissions:
        """The item's current permissions (the permission-only refresh asks for each known item).

        Raises ``ItemGone`` when the item no longer exists; any other error means it cannot be
        asked now.
        """
        ...
