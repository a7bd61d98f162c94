"""The sync tests' own dev tenant (two sites, paged at 2, every permission shape, a site page,
broken files) and helpers to run ``app.py sync`` against it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

from connectors.graph import GraphConfig
from devstack.processes import REPO, DevTenant
from retrieval.snapshots import SnapshotStore
from tests.sample_files import encrypted_pdf

TENANT = "5e1d0000-0000-4000-8000-000000000001"
ANNA, BEN, CAROL, DORA = (f"5e1d0000-0000-4000-8000-0000000001{i:02d}" for i in range(4))
TEAM, FIN = "5e1d0000-0000-4000-8000-000000000201", "5e1d0000-0000-4000-8000-000000000202"
ALPHA_DRIVE, ARCHIVE_DRIVE = "b!alpha-documents", "b!archiv-documents"
ALPHA_SITE = "sync.dev,5e1d0000-0000-4000-8000-000000000301,5e1d0000-0000-4000-8000-000000000302"
ARCHIVE_SITE = "sync.dev,5e1d0000-0000-4000-8000-000000000303,5e1d0000-0000-4000-8000-000000000304"


def _text(topic: str) -> str:
    return f"# {topic}\n\n## Überblick\n\nDieses Dokument beschreibt {topic} für das Projekt Alpha im Detail.\n"


FILES: dict[str, bytes] = {
    "projektplan.md": _text("den Projektplan").encode(),
    "budget.txt": b"Budget Alpha\n\nDas Budget betraegt 120.000 Euro fuer das Jahr.",
    "visitors.md": _text("die Besucherregeln").encode(),
    "extern.html": b"<html><body><h1>Extern</h1><p>Notizen fuer die externe Beraterin Carol.</p></body></html>",
    "link.md": _text("den Anonymous-Link").encode(),
    "finanzen.md": _text("die Finanzplanung").encode(),
    "handbuch.md": _text("das Handbuch").encode(),
    "members.md": _text("eine Mitgliederliste").encode(),
    "people.md": _text("eine Freigabe an Anna und Ben").encode(),
    "opaque.md": _text("eine Einladung").encode(),
    "kaputt.pdf": b"%PDF-1.4\n" + bytes(range(256)) * 4,
    "geheim.pdf": encrypted_pdf(),
    "leer.txt": b"",
}


def _item(path: str, readers: list[str] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"path": path, "source": f"docs/{path.rsplit('/', 1)[-1]}"}
    if readers is not None:
        item["readers"] = readers
    return item


def _user(object_id: str, upn: str, name: str) -> dict[str, Any]:
    return {"id": object_id, "userPrincipalName": upn, "displayName": name, "mail": upn}


MANIFEST: dict[str, Any] = {
    "tenant": {"id": TENANT, "displayName": "Sync Test", "domain": "sync.dev"},
    "app": {"client_id": "5e1d0000-0000-4000-8000-000000000999", "client_secret": "sync-secret"},
    "users": [
        _user(ANNA, "anna@sync.dev", "Anna A"),
        _user(BEN, "ben@sync.dev", "Ben B"),
        _user(CAROL, "carol@sync.dev", "Carol C"),
        _user(DORA, "dora@sync.dev", "Dora D"),
    ],
    "groups": [
        {
            "id": TEAM,
            "displayName": "Projekt Alpha",
            "mailNickname": "alpha",
            "securityEnabled": False,
            "mailEnabled": True,
            "groupTypes": ["Unified"],
            "members": [ANNA, BEN],
            "owners": [DORA],
        },
        {"id": FIN, "displayName": "Finanzen", "mailNickname": "fin", "groupTypes": [], "members": [CAROL]},
    ],
    "sites": [
        {
            "id": ALPHA_SITE,
            "name": "alpha",
            "displayName": "Alpha",
            "group": "Projekt Alpha",
            "pages": [
                {
                    "name": "Home.aspx",
                    "title": "Alpha Startseite",
                    "html": ["<h2>Ziele</h2><p>Alpha liefert das neue Reiseportal bis Juni.</p>"],
                }
            ],
            "drives": [
                {
                    "id": ALPHA_DRIVE,
                    "name": "Documents",
                    "items": [
                        {"path": "", "folder": True, "readers": ["sitegroup:Owners", "sitegroup:Members"]},
                        _item("Plan/projektplan.md", ["sitegroup:Members"]),
                        _item("Plan/budget.txt", ["sitegroup:Owners"]),
                        _item("Plan/visitors.md", ["sitegroup:Members", "sitegroup:Visitors"]),
                        _item("Geteilt/extern.html", ["people-spid:carol@sync.dev"]),
                        _item("Geteilt/link.md", ["anonymous"]),
                        {"path": "Finanzen", "folder": True, "readers": ["group:Finanzen"]},
                        _item("Finanzen/finanzen.md"),
                    ],
                }
            ],
        },
        {
            "id": ARCHIVE_SITE,
            "name": "archiv",
            "displayName": "Archiv",
            "drives": [
                {
                    "id": ARCHIVE_DRIVE,
                    "name": "Documents",
                    "items": [
                        _item("alt/handbuch.md", ["group:Finanzen"]),
                        _item("alt/members.md", ["sitegroup:Members"]),
                        _item("alt/people.md", ["people:anna@sync.dev,ben@sync.dev"]),
                        _item("alt/opaque.md", ["opaque"]),
                        _item("alt/kaputt.pdf", ["group:Finanzen"]),
                        _item("alt/geheim.pdf", ["group:Finanzen"]),
                        _item("alt/leer.txt", ["group:Finanzen"]),
                    ],
                }
            ],
        },
    ],
}
INDEXED = {"projektplan.md", "budget.txt", "visitors.md", "extern.html", "link.md", "finanzen.md", "Home.aspx"}
INDEXED |= {"handbuch.md", "members.md", "people.md", "opaque.md"}


def admin(tenant: DevTenant, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = requests.request(
        method, f"{tenant.info['url']}/_admin/{path}", json=body, verify=tenant.info["ca_file"], timeout=10
    )
    response.raise_for_status()
    return response.json() if response.content else None


def sync(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "app.py", "sync", *args],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def report(env: dict[str, str]) -> dict[str, Any]:
    return dict(json.loads((Path(env["DATA_DIR"]) / "sync" / "last_report.json").read_text()))


def index(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Document name → {acl, web_url, path, text, chunk_ids} from the current snapshot."""
    chunks, vectors, _ = SnapshotStore(Path(env["DATA_DIR"]) / "index").load()
    assert len(chunks) == len(vectors)
    ids = [c.chunk_id for c in chunks]
    assert len(ids) == len(set(ids)), "duplicate chunk ids"
    docs: dict[str, dict[str, Any]] = {}
    for chunk in chunks:
        doc = docs.setdefault(
            chunk.doc.name,
            {"acl": chunk.acl, "web_url": chunk.doc.web_url, "item_id": chunk.doc.item_id, "text": "", "chunk_ids": []},
        )
        assert doc["acl"] == chunk.acl, "chunks of one document disagree on the ACL"
        doc["text"] += " ".join(chunk.headings) + " " + chunk.text + "\n"
        doc["chunk_ids"].append(chunk.chunk_id)
    return docs


def item_id(tenant: DevTenant, drive: str, path: str) -> str:
    url = f"{tenant.info['graph_base_url']}/drives/{drive}/root:/{path}"
    token = tenant_token(tenant)
    response = requests.get(
        url, headers={"Authorization": f"Bearer {token}"}, verify=tenant.info["ca_file"], timeout=10
    )
    response.raise_for_status()
    return str(response.json()["id"])


def tenant_token(tenant: DevTenant) -> str:
    response = requests.post(
        f"{tenant.info['authority_host']}/{tenant.info['tenant_id']}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": tenant.info["client_id"],
            "client_secret": tenant.info["client_secret"],
            "scope": "https://graph.microsoft.com/.default",
        },
        verify=tenant.info["ca_file"],
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def graph_config(tenant: DevTenant) -> GraphConfig:
    info = tenant.info
    return GraphConfig(
        tenant_id=info["tenant_id"],
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        certificate_path=None,
        authority_host=info["authority_host"],
        base_url=info["graph_base_url"],
        ca_file=Path(info["ca_file"]),
    )
