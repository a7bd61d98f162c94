"""Data records of the in-memory SharePoint content (sites, drives, items, tombstones)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field

SEED_TIME = "2024-01-15T09:00:00Z"


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stable_id(*parts: str) -> str:
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).digest()
    return "01" + base64.b32encode(digest).decode("ascii")[:32]


def new_item_id() -> str:
    return "01" + base64.b32encode(uuid.uuid4().bytes + uuid.uuid4().bytes[:4]).decode("ascii")[:32]


@dataclass
class Item:
    """A driveItem (file, folder or the drive root)."""

    id: str
    drive_id: str
    parent_id: str | None
    name: str
    is_folder: bool
    created: str
    modified: str
    content: bytes = b""
    readers: tuple[str, ...] | None = None
    title: str | None = None
    version: int = 1
    seq: int = 0
    sharing_seq: int = 0
    own_seq: int = 0
    etag_id: str = field(default_factory=lambda: str(uuid.uuid4()).upper())

    def __post_init__(self) -> None:
        # seq: last change including "a descendant changed"; own_seq: last change of
        # the item itself (what Graph reports when deltaExcludeParent is sent).
        self.own_seq = self.own_seq or self.seq

    @property
    def is_root(self) -> bool:
        return self.parent_id is None


@dataclass(frozen=True)
class Tombstone:
    """What is left of a deleted item, for delta."""

    id: str
    parent_id: str | None
    name: str
    is_folder: bool
    seq: int


@dataclass
class Drive:
    """A document library: a tree of items plus its tombstones."""

    id: str
    name: str
    site_id: str
    root_id: str
    created: str
    items: dict[str, Item] = field(default_factory=dict)
    tombstones: list[Tombstone] = field(default_factory=list)

    @property
    def root(self) -> Item:
        return self.items[self.root_id]


@dataclass
class Page:
    """A modern site page (``sitePage``); ``html`` holds its text web parts."""

    id: str
    name: str
    title: str
    html: tuple[str, ...]
    created: str = SEED_TIME
    modified: str = SEED_TIME
    version: int = 1
    etag_id: str = field(default_factory=lambda: str(uuid.uuid4()).upper())


@dataclass
class Site:
    """A SharePoint site; ``group_id``: the Microsoft 365 group it is connected to, if any."""

    id: str
    name: str
    display_name: str
    description: str
    drive_ids: list[str]
    created: str = SEED_TIME
    group_id: str | None = None
    pages: dict[str, Page] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """One entry of a delta page."""

    key: int
    item: Item | None
    tombstone: Tombstone | None
    sharing_only: bool = False
