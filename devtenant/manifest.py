"""Parsing of the seed manifest (``<seed>/tenant.json``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_NAME: str = "tenant.json"


class ManifestError(ValueError):
    """The seed manifest is malformed or inconsistent."""


@dataclass(frozen=True)
class ItemSpec:
    """One file (or explicit folder) of a drive, as the manifest describes it."""

    path: str
    id: str | None = None
    source: str | None = None
    title: str | None = None
    readers: tuple[str, ...] | None = None
    is_folder: bool = False
    created: str | None = None
    modified: str | None = None


@dataclass(frozen=True)
class DriveSpec:
    """A document library of a site."""

    id: str
    name: str
    items: tuple[ItemSpec, ...]


@dataclass(frozen=True)
class PageSpec:
    """A modern site page: a title and the HTML of its text web parts, in order."""

    name: str
    title: str
    html: tuple[str, ...]
    id: str | None = None


@dataclass(frozen=True)
class SiteSpec:
    """A SharePoint site with its document libraries and pages.

    ``group``: display name or id of the Microsoft 365 group the site is connected to (its
    Owners/Members site groups then hold the group's owners/members).
    """

    id: str
    name: str
    display_name: str
    description: str
    drives: tuple[DriveSpec, ...]
    group: str | None = None
    pages: tuple[PageSpec, ...] = ()


@dataclass(frozen=True)
class Manifest:
    """The whole seed: tenant, app registration, directory and sites."""

    seed_dir: Path
    tenant_id: str
    tenant_name: str
    domain: str
    client_id: str
    client_secret: str
    app_name: str
    users: tuple[dict[str, Any], ...]
    groups: tuple[dict[str, Any], ...]
    sites: tuple[SiteSpec, ...] = field(default_factory=tuple)

    def find_user(self, key: str) -> dict[str, Any] | None:
        """A user by object id or userPrincipalName (case-insensitive)."""
        for user in self.users:
            if user["id"] == key or str(user.get("userPrincipalName", "")).lower() == key.lower():
                return user
        return None


def _require(obj: dict[str, Any], key: str, where: str) -> Any:
    if key not in obj:
        raise ManifestError(f"{where}: missing '{key}'")
    return obj[key]


def _item(raw: dict[str, Any], where: str) -> ItemSpec:
    path = str(_require(raw, "path", where)).strip("/")
    readers = raw.get("readers")
    is_folder = bool(raw.get("folder", False)) or "source" not in raw
    return ItemSpec(
        path=path,
        id=raw.get("id"),
        source=raw.get("source"),
        title=raw.get("title"),
        readers=tuple(str(r) for r in readers) if readers is not None else None,
        is_folder=is_folder,
        created=raw.get("createdDateTime"),
        modified=raw.get("lastModifiedDateTime"),
    )


def parse_manifest(data: dict[str, Any], seed_dir: Path) -> Manifest:
    """Validate the JSON structure of a manifest and turn it into a `Manifest`."""
    tenant = _require(data, "tenant", "manifest")
    app = _require(data, "app", "manifest")
    sites: list[SiteSpec] = []
    for s_index, site in enumerate(data.get("sites", [])):
        where = f"sites[{s_index}]"
        drives = tuple(
            DriveSpec(
                id=str(_require(drive, "id", f"{where}.drives[{d_index}]")),
                name=str(drive.get("name", "Documents")),
                items=tuple(
                    _item(item, f"{where}.drives[{d_index}].items[{i_index}]")
                    for i_index, item in enumerate(drive.get("items", []))
                ),
            )
            for d_index, drive in enumerate(site.get("drives", []))
        )
        sites.append(
            SiteSpec(
                id=str(_require(site, "id", where)),
                name=str(_require(site, "name", where)),
                display_name=str(site.get("displayName", site["name"])),
                description=str(site.get("description", "")),
                drives=drives,
                group=site.get("group"),
                pages=tuple(
                    PageSpec(
                        name=str(_require(page, "name", f"{where}.pages[{p_index}]")),
                        title=str(page.get("title", "")),
                        html=tuple(str(h) for h in page.get("html", [])),
                        id=page.get("id"),
                    )
                    for p_index, page in enumerate(site.get("pages", []))
                ),
            )
        )
    users = tuple(dict(u) for u in data.get("users", []))
    groups = tuple(dict(g) for g in data.get("groups", []))
    for index, user in enumerate(users):
        _require(user, "id", f"users[{index}]")
        _require(user, "userPrincipalName", f"users[{index}]")
    for index, group in enumerate(groups):
        _require(group, "id", f"groups[{index}]")
        _require(group, "displayName", f"groups[{index}]")
    return Manifest(
        seed_dir=seed_dir,
        tenant_id=str(_require(tenant, "id", "tenant")),
        tenant_name=str(tenant.get("displayName", "Dev Tenant")),
        domain=str(tenant.get("domain", "contoso.dev")),
        client_id=str(_require(app, "client_id", "app")),
        client_secret=str(_require(app, "client_secret", "app")),
        app_name=str(app.get("displayName", "devtenant app")),
        users=users,
        groups=groups,
        sites=tuple(sites),
    )


def load_manifest(seed_dir: Path) -> Manifest:
    """Read and parse ``seed_dir/tenant.json``."""
    path = seed_dir / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ManifestError(f"no seed manifest at {path}") from exc
    except json.JSONDecodeError as exc:
        raise ManifestError(f"{path}: invalid JSON: {exc}") from exc
    return parse_manifest(data, seed_dir.resolve())
