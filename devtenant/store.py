"""In-memory SharePoint content: sites, drives, drive items and their change log.

Every change takes the next value of a store-wide sequence number; delta
queries are answered by comparing sequence numbers, and deletions leave
tombstones so a later delta can report them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence

from .manifest import DriveSpec, Manifest, ManifestError, SiteSpec
from .models import (
    SEED_TIME,
    Change,
    Drive,
    Item,
    Page,
    Site,
    Tombstone,
    new_item_id,
    stable_id,
    utc_now,
)


class FileStore:
    """Sites, drives and items, mutable through the admin API."""

    def __init__(self, manifest: Manifest, group_ids: Mapping[str, str] | None = None) -> None:
        self.seq = 0
        self.sites: dict[str, Site] = {}
        self.drives: dict[str, Drive] = {}
        self._kids: dict[str, dict[str, Item]] = {}  # parent id -> children, kept on every change
        for site_spec in manifest.sites:
            self._load_site(manifest, site_spec, group_ids or {})

    # -- seeding -----------------------------------------------------------------
    def _load_site(self, manifest: Manifest, spec: SiteSpec, group_ids: Mapping[str, str]) -> None:
        group_id = None
        if spec.group is not None:
            group_id = group_ids.get(spec.group.lower())
            if group_id is None:
                raise ManifestError(f"site {spec.name}: unknown group {spec.group!r}")
        site = Site(spec.id, spec.name, spec.display_name, spec.description, [], group_id=group_id)
        for page_spec in spec.pages:
            page_id = page_spec.id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"{spec.id}/{page_spec.name}"))
            site.pages[page_id] = Page(page_id, page_spec.name, page_spec.title, page_spec.html)
        self.sites[spec.id] = site
        for drive_spec in spec.drives:
            site.drive_ids.append(drive_spec.id)
            self._load_drive(manifest, site, drive_spec)

    def _load_drive(self, manifest: Manifest, site: Site, spec: DriveSpec) -> None:
        root_id = stable_id(spec.id, "root")
        drive = Drive(spec.id, spec.name, site.id, root_id, SEED_TIME)
        self.drives[spec.id] = drive
        self._attach(drive, Item(root_id, spec.id, None, "root", True, SEED_TIME, SEED_TIME, seq=self._next()))
        for item_spec in spec.items:
            parent_path, _, name = item_spec.path.rpartition("/")
            parent = self.ensure_folder(drive, parent_path, seed=True)
            created = item_spec.created or SEED_TIME
            modified = item_spec.modified or created
            if item_spec.is_folder:
                folder = self.ensure_folder(drive, item_spec.path, seed=True)
                folder.readers = item_spec.readers
                continue
            if not item_spec.source:
                raise ManifestError(f"{item_spec.path}: a file needs 'source'")
            source = manifest.seed_dir / item_spec.source
            try:
                content = source.read_bytes()
            except OSError as exc:
                raise ManifestError(f"{item_spec.path}: cannot read {source}: {exc}") from exc
            item = Item(
                id=item_spec.id or stable_id(drive.id, item_spec.path),
                drive_id=drive.id,
                parent_id=parent.id,
                name=name,
                is_folder=False,
                created=created,
                modified=modified,
                content=content,
                readers=item_spec.readers,
                title=item_spec.title,
                seq=self._next(),
            )
            if item.id in drive.items:
                raise ManifestError(f"duplicate item id or path: {item_spec.path}")
            self._attach(drive, item)

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    # -- lookups -------------------------------------------------------------------
    def site(self, key: str) -> Site | None:
        """A site by id, by name, or by ``hostname:/sites/name``."""
        if key in self.sites:
            return self.sites[key]
        name = key.rsplit("/sites/", 1)[-1].strip(":/")
        for site in self.sites.values():
            if site.name.lower() == name.lower():
                return site
        return None

    def drive(self, drive_id: str) -> Drive | None:
        return self.drives.get(drive_id)

    def item(self, drive: Drive, item_id: str) -> Item | None:
        return drive.root if item_id == "root" else drive.items.get(item_id)

    def find_item(self, item_id: str) -> Item | None:
        for drive in self.drives.values():
            if item_id in drive.items:
                return drive.items[item_id]
        return None

    def path_of(self, item: Item) -> str:
        """Path below the drive root, '' for the root itself."""
        drive = self.drives[item.drive_id]
        parts: list[str] = []
        current: Item | None = item
        while current is not None and not current.is_root:
            parts.append(current.name)
            current = drive.items.get(current.parent_id or "")
        return "/".join(reversed(parts))

    def item_by_path(self, drive: Drive, path: str) -> Item | None:
        current = drive.root
        for part in [p for p in path.strip("/").split("/") if p]:
            match = next((c for c in self.children(current) if c.name.lower() == part.lower()), None)
            if match is None:
                return None
            current = match
        return current

    def _attach(self, drive: Drive, item: Item) -> None:
        drive.items[item.id] = item
        if item.parent_id is not None:
            self._kids.setdefault(item.parent_id, {})[item.id] = item

    def children(self, item: Item) -> list[Item]:
        kids = self._kids.get(item.id, {}).values()
        return sorted(kids, key=lambda i: i.name.lower())

    def descendants(self, item: Item) -> list[Item]:
        result: list[Item] = []
        for child in self.children(item):
            result.append(child)
            if child.is_folder:
                result.extend(self.descendants(child))
        return result

    def ancestors(self, item: Item) -> list[Item]:
        """Ancestors from the root down to the direct parent."""
        drive = self.drives[item.drive_id]
        chain: list[Item] = []
        current = drive.items.get(item.parent_id or "")
        while current is not None:
            chain.append(current)
            current = drive.items.get(current.parent_id or "")
        return list(reversed(chain))

    def size_of(self, item: Item) -> int:
        if not item.is_folder:
            return len(item.content)
        return sum(len(i.content) for i in self.descendants(item) if not i.is_folder)

    def permission_source(self, item: Item) -> tuple[tuple[str, ...], Item | None]:
        """Readers that apply to `item` and the ancestor they are inherited from (if any)."""
        if item.readers is not None:
            return item.readers, None
        for ancestor in reversed(self.ancestors(item)):
            if ancestor.readers is not None:
                return ancestor.readers, ancestor
        return (), None

    # -- mutations ---------------------------------------------------------------------
    def _bump(self, items: Iterable[Item], content: bool = False, own: bool = False) -> None:
        """Give `items` new sequence numbers (in order); `own` marks a change of the item itself."""
        now = utc_now()
        for item in items:
            item.seq = self._next()
            if own:
                item.own_seq = item.seq
            item.version += 1
            item.modified = now if content or item.is_folder else item.modified

    def ensure_folder(self, drive: Drive, path: str, seed: bool = False) -> Item:
        """Return the folder at `path`, creating missing folders on the way."""
        current = drive.root
        walked: list[str] = []
        for part in [p for p in path.strip("/").split("/") if p]:
            walked.append(part)
            match = next((c for c in self.children(current) if c.name.lower() == part.lower()), None)
            if match is None:
                when = SEED_TIME if seed else utc_now()
                folder_id = stable_id(drive.id, "/".join(walked)) if seed else new_item_id()
                match = Item(folder_id, drive.id, current.id, part, True, when, when, seq=self._next())
                self._attach(drive, match)
            elif not match.is_folder:
                raise ValueError(f"'{'/'.join(walked)}' is a file, not a folder")
            current = match
        return current

    def put_file(
        self,
        drive: Drive,
        path: str,
        content: bytes,
        readers: Sequence[str] | None,
        title: str | None = None,
        item_id: str | None = None,
    ) -> tuple[Item, bool]:
        """Add a file, or replace the content of the file already at `path`."""
        parent_path, _, name = path.strip("/").rpartition("/")
        if not name:
            raise ValueError("path must name a file")
        existing = self.item_by_path(drive, path)
        if existing is not None and existing.is_folder:
            raise ValueError(f"'{path}' is a folder")
        parent = self.ensure_folder(drive, parent_path)
        self._bump(self.ancestors(existing) if existing else [*self.ancestors(parent), parent])
        if existing is not None:
            existing.content = content
            existing.title = title or existing.title
            self._bump([existing], content=True, own=True)
            if readers is not None:
                existing.readers = tuple(readers)
                existing.sharing_seq = existing.seq
            return existing, False
        now = utc_now()
        item = Item(
            id=item_id or new_item_id(),
            drive_id=drive.id,
            parent_id=parent.id,
            name=name,
            is_folder=False,
            created=now,
            modified=now,
            content=content,
            readers=tuple(readers) if readers is not None else None,
            title=title,
            seq=self._next(),
        )
        self._attach(drive, item)
        return item, True

    def update_item(
        self,
        item: Item,
        new_path: str | None = None,
        readers: Sequence[str] | None = None,
        content: bytes | None = None,
        title: str | None = None,
    ) -> Item:
        """Rename/move, change readers or replace content of an existing item."""
        if item.is_root:
            raise ValueError("the root cannot be changed")
        drive = self.drives[item.drive_id]
        changed_meta = False
        if new_path is not None and new_path.strip("/") != self.path_of(item):
            parent_path, _, name = new_path.strip("/").rpartition("/")
            clash = self.item_by_path(drive, new_path)
            if clash is not None and clash is not item:
                raise ValueError(f"'{new_path}' already exists")
            new_parent = self.ensure_folder(drive, parent_path)
            if new_parent is item or item in self.ancestors(new_parent):
                raise ValueError("cannot move a folder into itself")
            self._bump([*self.ancestors(item)])
            self._kids.get(item.parent_id or "", {}).pop(item.id, None)
            item.parent_id, item.name = new_parent.id, name
            self._kids.setdefault(new_parent.id, {})[item.id] = item
            self._bump([*self.ancestors(item)])
            changed_meta = True
        if title is not None:
            item.title, changed_meta = title, True
        if content is not None:
            if item.is_folder:
                raise ValueError("a folder has no content")
            item.content = content
            self._bump(self.ancestors(item))
            self._bump([item], content=True, own=True)
        elif changed_meta:
            self._bump([item], own=True)
        if readers is not None:
            item.readers = tuple(readers)
            for target in [item, *self._inheriting_descendants(item)]:
                target.sharing_seq = self._next()
        return item

    def _inheriting_descendants(self, item: Item) -> list[Item]:
        """Descendants whose permissions are inherited from `item`."""
        result: list[Item] = []
        for child in self.children(item):
            if child.readers is None:
                result.append(child)
                if child.is_folder:
                    result.extend(self._inheriting_descendants(child))
        return result

    def delete_item(self, item: Item) -> list[str]:
        """Delete an item (a folder with everything below it); returns deleted ids."""
        if item.is_root:
            raise ValueError("the root cannot be deleted")
        drive = self.drives[item.drive_id]
        doomed = [item, *self.descendants(item)]
        ancestors = self.ancestors(item)
        for victim in reversed(doomed):
            drive.items.pop(victim.id, None)
            self._kids.get(victim.parent_id or "", {}).pop(victim.id, None)
            self._kids.pop(victim.id, None)
            drive.tombstones.append(Tombstone(victim.id, victim.parent_id, victim.name, victim.is_folder, self._next()))
        self._bump(ancestors)
        return [victim.id for victim in doomed]

    def put_page(self, site: Site, name: str, title: str, html: Sequence[str], page_id: str | None = None) -> Page:
        """Add a page, or replace title and text of the page with that name."""
        existing = next((p for p in site.pages.values() if p.name.lower() == name.lower()), None)
        now = utc_now()
        if existing is not None:
            existing.title, existing.html = title or existing.title, tuple(html)
            existing.version += 1
            existing.modified = now
            return existing
        page = Page(page_id or str(uuid.uuid4()), name, title, tuple(html), created=now, modified=now)
        site.pages[page.id] = page
        return page

    # -- delta -------------------------------------------------------------------------
    def changes(
        self,
        drive: Drive,
        since: int,
        upto: int,
        after: int,
        limit: int,
        exclude_parents: bool = False,
    ) -> tuple[list[Change], bool]:
        """Changes with since < key <= upto and key > after, oldest first.

        Returns one page of at most `limit` changes and whether more follow.
        Items whose permissions changed are included (as Graph does by
        default); `Change.sharing_only` marks those with no other change. With
        `exclude_parents`, folders that only changed because something below
        them did are left out (Graph's ``deltaExcludeParent`` header).
        """
        low = max(since, after)
        entries: list[Change] = []
        for item in drive.items.values():
            seq = item.own_seq if exclude_parents else item.seq
            key = max(seq, item.sharing_seq)
            if low < key <= upto:
                sharing_only = seq <= since < item.sharing_seq
                entries.append(Change(key, item, None, sharing_only))
        if since > 0:
            entries.extend(Change(t.seq, None, t) for t in drive.tombstones if low < t.seq <= upto)
        entries.sort(key=lambda c: c.key)
        return entries[:limit], len(entries) > limit
