"""Graph JSON representations of sites, drives, driveItems and permissions."""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from .directory import Directory
from .models import Drive, Item, Site, Tombstone
from .quickxor import quickxorhash
from .store import FileStore

DEFAULT_OPAQUE_EMAIL = "someone@partner.example"
_EXTRA_TYPES: dict[str, str] = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".md": "text/markdown",
    ".txt": "text/plain",
    ".pdf": "application/pdf",
    ".html": "text/html",
    ".csv": "text/csv",
    ".json": "application/json",
}
_SYSTEM = {"user": {"displayName": "System Account"}}


def mime_type(name: str) -> str:
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return _EXTRA_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def _stable_uuid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def site_url(base_url: str, site: Site) -> str:
    return f"{base_url}/sites/{quote(site.name)}"


def library_segment(drive: Drive) -> str:
    """URL segment of a library: 'Documents' is served from 'Shared Documents'."""
    return "Shared%20Documents" if drive.name == "Documents" else quote(drive.name)


def item_web_url(base_url: str, store: FileStore, item: Item) -> str:
    drive = store.drives[item.drive_id]
    site = store.sites[drive.site_id]
    root = f"{site_url(base_url, site)}/{library_segment(drive)}"
    path = store.path_of(item)
    return f"{root}/{quote(path)}" if path else root


def site_json(base_url: str, domain: str, site: Site) -> dict[str, Any]:
    return {
        "id": site.id,
        "name": site.name,
        "displayName": site.display_name,
        "description": site.description,
        "webUrl": site_url(base_url, site),
        "createdDateTime": site.created,
        "lastModifiedDateTime": site.created,
        "siteCollection": {"hostname": domain},
    }


def drive_json(base_url: str, store: FileStore, drive: Drive, directory: Directory | None = None) -> dict[str, Any]:
    site = store.sites[drive.site_id]
    owner: dict[str, Any] = {"group": {"displayName": f"{site.display_name} Owners"}}
    if site.group_id is not None:  # a group-connected team site: its libraries are owned by the group
        group = (directory.group(site.group_id) if directory else None) or {}
        owner = {"group": {"id": site.group_id, "displayName": group.get("displayName"), "email": group.get("mail")}}
    used = sum(len(i.content) for i in drive.items.values())
    return {
        "id": drive.id,
        "name": drive.name,
        "description": "",
        "driveType": "documentLibrary",
        "createdDateTime": drive.created,
        "lastModifiedDateTime": drive.root.modified,
        "webUrl": f"{site_url(base_url, site)}/{library_segment(drive)}",
        "createdBy": _SYSTEM,
        "owner": owner,
        "quota": {
            "deleted": 0,
            "remaining": 27487790694400 - used,
            "state": "normal",
            "total": 27487790694400,
            "used": used,
        },
    }


def parent_reference(store: FileStore, item: Item, with_path: bool) -> dict[str, Any]:
    drive = store.drives[item.drive_id]
    ref: dict[str, Any] = {"driveType": "documentLibrary", "driveId": drive.id}
    if item.parent_id is not None:
        parent = drive.items.get(item.parent_id)
        ref["id"] = item.parent_id
        if parent is not None:
            ref["name"] = drive.name if parent.is_root else parent.name
            if with_path:
                parent_path = store.path_of(parent)
                ref["path"] = f"/drives/{drive.id}/root:" + (f"/{parent_path}" if parent_path else "")
    ref["siteId"] = drive.site_id
    return ref


def drive_item_json(
    base_url: str,
    store: FileStore,
    item: Item,
    *,
    in_delta: bool = False,
    download_url: str | None = None,
) -> dict[str, Any]:
    """A driveItem; in delta, ``parentReference.path`` and ``cTag`` are omitted like Graph does."""
    body: dict[str, Any] = {
        "createdDateTime": item.created,
        "eTag": f'"{{{item.etag_id}}},{item.version}"',
        "id": item.id,
        "lastModifiedDateTime": item.modified,
        "name": item.name,
        "webUrl": item_web_url(base_url, store, item),
        "cTag": f'"c:{{{item.etag_id}}},{item.version}"',
        "size": store.size_of(item),
        "createdBy": _SYSTEM,
        "lastModifiedBy": _SYSTEM,
        "parentReference": parent_reference(store, item, with_path=not in_delta),
        "fileSystemInfo": {"createdDateTime": item.created, "lastModifiedDateTime": item.modified},
    }
    if in_delta:
        body.pop("cTag")
    if item.is_root:
        body["root"] = {}
    if item.is_folder:
        body["folder"] = {"childCount": len(store.children(item))}
    else:
        body["file"] = {"mimeType": mime_type(item.name), "hashes": {"quickXorHash": quickxorhash(item.content)}}
        if download_url:
            body["@microsoft.graph.downloadUrl"] = download_url
    if item.title:
        body["description"] = item.title
    return body


def tombstone_json(store: FileStore, drive: Drive, tomb: Tombstone) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": tomb.id,
        "deleted": {"state": "deleted"},
        "parentReference": {
            "driveType": "documentLibrary",
            "driveId": drive.id,
            "id": tomb.parent_id or drive.root_id,
            "siteId": drive.site_id,
        },
    }
    body["folder" if tomb.is_folder else "file"] = {}
    return body


# -- permissions ------------------------------------------------------------------------
READER_KINDS = ("group", "user", "organization", "anonymous", "opaque", "sitegroup", "people", "people-spid")
SITE_GROUP_ROLES = {"Owners": "owner", "Members": "write", "Visitors": "read"}


def validate_readers(directory: Directory, readers: Iterable[str]) -> None:
    """Raise `ValueError` for a reader entry that does not resolve."""
    for reader in readers:
        kind, _, value = reader.partition(":")
        if kind == "group" and directory.group_by_name(value) is None:
            raise ValueError(f"unknown group in readers: {value!r}")
        if kind == "user" and directory.user(value) is None:
            raise ValueError(f"unknown user in readers: {value!r}")
        if kind in ("people", "people-spid"):
            for upn in value.split(","):
                if directory.user(upn) is None:
                    raise ValueError(f"unknown user in readers: {upn!r}")
        if kind == "sitegroup" and not value:
            raise ValueError("sitegroup needs a name: sitegroup:Owners|Members|Visitors|<custom>")
        if kind not in READER_KINDS:
            raise ValueError(f"unsupported reader {reader!r}")


def _site_user_id(login: str) -> str:
    return str(10 + int(hashlib.sha1(login.encode()).hexdigest(), 16) % 90)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _user_identity(directory: Directory, upn: str, entra: bool) -> dict[str, Any]:
    """``user`` + ``siteUser`` as SharePoint reports a person; ``entra=False``: the SharePoint id only."""
    user = directory.user(upn) or {}
    login = f"i:0#.f|membership|{user.get('userPrincipalName', upn)}"
    email = user.get("mail") or user.get("userPrincipalName")
    site_user = {"id": _site_user_id(login), "displayName": user.get("displayName"), "email": email, "loginName": login}
    if not entra:
        return {"siteUser": site_user}
    return {
        "user": {"id": user.get("id"), "displayName": user.get("displayName"), "email": email},
        "siteUser": site_user,
    }


def _link(base_url: str, store: FileStore, item: Item, scope: str, recipients: list[dict[str, Any]]) -> dict[str, Any]:
    """A sharing link permission (``organization``, ``anonymous`` or ``users``)."""
    token = _b64(_stable_uuid(item.id, f"{scope}-link")).rstrip("=").replace("+", "-").replace("/", "_")
    site = store.sites[store.drives[item.drive_id].site_id]
    letter = {"docx": "w", "xlsx": "x", "pptx": "p", "pdf": "b"}.get(item.name.rsplit(".", 1)[-1], "u")
    return {
        "id": _stable_uuid(item.id, f"{scope}-link"),
        "roles": ["read"],
        "hasPassword": False,
        "grantedToIdentitiesV2": recipients,
        "grantedToIdentities": [
            {"user": r["user"]} if "user" in r else {"user": {"displayName": r["siteUser"]["displayName"]}}
            for r in recipients
        ],
        "link": {
            "scope": scope,
            "type": "view",
            "preventsDownload": False,
            "webUrl": f"{base_url}/:{letter}:/s/{quote(site.name)}/{token}",
        },
        "shareId": f"u!{token}",
    }


def permission_json(
    base_url: str,
    store: FileStore,
    directory: Directory,
    item: Item,
    reader: str,
    inherited_from: Item | None,
) -> dict[str, Any]:
    kind, _, value = reader.partition(":")
    perm: dict[str, Any]
    if kind == "user":
        identity_set = _user_identity(directory, value, entra=True)
        perm = {
            "id": _b64(identity_set["siteUser"]["loginName"]),
            "roles": ["read"],
            "grantedToV2": identity_set,
            "grantedTo": {"user": identity_set["user"]},
        }
    elif kind == "group":
        group = directory.group_by_name(value) or {}
        login = f"c:0t.c|tenant|{group.get('id')}"
        perm = {
            "id": _b64(login),
            "roles": ["read"],
            "grantedToV2": {
                "group": {"id": group.get("id"), "displayName": group.get("displayName"), "email": group.get("mail")},
                "siteUser": {"id": _site_user_id(login), "displayName": group.get("displayName"), "loginName": login},
            },
            "grantedTo": {"user": {"displayName": group.get("displayName")}},
        }
    elif kind == "sitegroup":
        site = store.sites[store.drives[item.drive_id].site_id]
        name = value if value not in SITE_GROUP_ROLES else f"{site.display_name} {value}"
        identity = {"id": _site_user_id(name), "displayName": name, "loginName": name}
        perm = {
            "id": _b64(name),
            "roles": [SITE_GROUP_ROLES.get(value, "read")],
            "grantedToV2": {"siteGroup": identity},
            "grantedTo": {"user": {"displayName": name}},
        }
    elif kind in ("organization", "anonymous"):
        perm = _link(base_url, store, item, kind, [])
    elif kind in ("people", "people-spid"):
        recipients = [_user_identity(directory, upn, entra=kind == "people") for upn in value.split(",")]
        perm = _link(base_url, store, item, "users", recipients)
    else:  # "opaque" or "opaque:<email>": a shape mappers are not expected to understand
        perm = {
            "id": _stable_uuid(item.id, reader),
            "roles": ["read"],
            "invitation": {"email": value or DEFAULT_OPAQUE_EMAIL, "signInRequired": True},
        }
    if inherited_from is not None:
        folder_path = store.path_of(inherited_from)
        perm["inheritedFrom"] = {
            "driveId": item.drive_id,
            "id": inherited_from.id,
            "path": f"/drives/{item.drive_id}/root:" + (f"/{folder_path}" if folder_path else ""),
        }
    return perm


def permissions_json(base_url: str, store: FileStore, directory: Directory, item: Item) -> list[dict[str, Any]]:
    readers, source = store.permission_source(item)
    return [permission_json(base_url, store, directory, item, reader, source) for reader in readers]
