"""What a document source yields: typed changes, so one bad file never aborts a sync."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from retrieval.types import DocumentRef


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
    """Everything before this has been yielded; ``cursor`` resumes after it."""

    drive_id: str
    cursor: str


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
    """The source lost its place in a drive (Graph 410): drop the drive and resync it fully."""

    drive_id: str


Change = Upsert | Delete | Checkpoint | Failure | CursorReset


class DocumentSource(Protocol):
    """A content source with per-drive cursors (SharePoint through Graph, in production)."""

    def changes(self, cursors: Mapping[str, str], known_tags: Mapping[tuple[str, str], str]) -> AsyncIterator[Change]:
        """Yield changes since ``cursors``; ``known_tags`` lets it skip unchanged downloads."""
        ...
