"""``python app.py sync`` against the dev tenant with the real msgraph-sdk: what ends up in the index.

No LLM here: a dev tenant with its own small seed (two sites, paged at 2, every permission shape,
a site page, broken files) and a fresh DATA_DIR per test.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from kiota_abstractions.api_error import APIError

from access import group_key, tenant_key, user_key
from connectors.graph import GraphConfig, connect
from connectors.resilience import RetryPolicy, with_retries
from devstack.processes import REPO, DevTenant, start_devtenant
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


@pytest.fixture(scope="module")
def tenant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTenant]:
    root = tmp_path_factory.mktemp("sync-tenant")
    seed = root / "seed"
    (seed / "docs").mkdir(parents=True)
    for name, data in FILES.items():
        (seed / "docs" / name).write_bytes(data)
    (seed / "tenant.json").write_text(json.dumps(MANIFEST), encoding="utf-8")
    dev = start_devtenant(root / "state", root / "logs", page_size=2, seed_dir=seed)
    yield dev
    dev.child.stop()


@pytest.fixture
def env(tenant: DevTenant, tmp_path: Path) -> dict[str, str]:
    admin(tenant, "POST", "reset")
    return {
        **tenant.env(),
        "DATA_DIR": str(tmp_path / "data"),
        "SHAREPOINT_SITES": "",
        "GRAPH_RETRY_BASE_DELAY_S": "0.2",
        "LOG_LEVEL": "INFO",
    }


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


def test_first_sync_maps_every_permission_shape_and_skips_broken_files(env: dict[str, str]) -> None:
    result = sync(env)
    docs = index(env)
    assert set(docs) == INDEXED
    # site groups of the group-connected site → the Microsoft 365 group's members / owners
    assert docs["projektplan.md"]["acl"] == {group_key(TEAM)}
    assert docs["budget.txt"]["acl"] == {user_key(DORA)}
    # Visitors cannot be expanded through Graph: the whole item is readable by nobody
    assert docs["visitors.md"]["acl"] == frozenset()
    # a site group of a site without a connected group: nobody
    assert docs["members.md"]["acl"] == frozenset()
    # specific-people links: recipients with an Entra id, and with only a SharePoint id (resolved by UPN)
    assert docs["people.md"]["acl"] == {user_key(ANNA), user_key(BEN)}
    assert docs["extern.html"]["acl"] == {user_key(CAROL)}
    # anonymous link: no wider than the organisation
    assert docs["link.md"]["acl"] == {tenant_key(TENANT)}
    # inherited from the folder
    assert docs["finanzen.md"]["acl"] == {group_key(FIN)}
    assert docs["opaque.md"]["acl"] == frozenset()
    # the site page: canvas text with its heading, ACL of the site's library root (Owners + Members)
    assert "Reiseportal" in docs["Home.aspx"]["text"] and "Ziele" in docs["Home.aspx"]["text"]
    assert docs["Home.aspx"]["acl"] == {group_key(TEAM), user_key(DORA)}
    assert docs["Home.aspx"]["web_url"].endswith("/sites/alpha/SitePages/Home.aspx")

    kept = report(env)
    assert kept["added"] == len(INDEXED)
    assert kept["skipped"] == {"corrupt": 1, "encrypted": 1, "empty": 1}
    assert {(i["name"], i["reason"]) for i in kept["skipped_items"]} == {
        ("kaputt.pdf", "corrupt"),
        ("geheim.pdf", "encrypted"),
        ("leer.txt", "empty"),
    }
    assert kept["unknown_permission_items"] == 3  # visitors.md, members.md, opaque.md
    assert kept["drives_reset"] == 2 and kept["error"] is None
    assert kept["documents_per_second"] > 0
    for line in ("added", "permission-only updates", "corrupt", "unknown permission shapes", "documents per second"):
        assert line in result.stdout
    status = sync(env, "--status")
    assert "added" in status.stdout and f"{len(INDEXED)} documents" in status.stdout


def test_incremental_sync_follows_adds_changes_renames_moves_deletes_and_sharing(
    tenant: DevTenant, env: dict[str, str]
) -> None:
    sync(env)
    before = index(env)
    plan = item_id(tenant, ALPHA_DRIVE, "Plan/projektplan.md")
    admin(
        tenant,
        "POST",
        "items",
        {"site": "alpha", "path": "Plan/neu.md", "text": _text("die Neuigkeiten"), "readers": ["group:Finanzen"]},
    )
    admin(tenant, "PATCH", f"items/{plan}", {"text": _text("den geänderten Projektplan mit Meilensteinen")})
    admin(tenant, "PATCH", f"items/{before['link.md']['item_id']}", {"name": "link-umbenannt.md"})
    admin(tenant, "PATCH", f"items/{before['handbuch.md']['item_id']}", {"path": "neu/ablage/handbuch.md"})
    admin(tenant, "PATCH", f"items/{before['people.md']['item_id']}", {"readers": ["user:carol@sync.dev"]})
    admin(tenant, "DELETE", f"items/{before['finanzen.md']['item_id']}")
    admin(
        tenant,
        "POST",
        "pages",
        {"site": "alpha", "name": "News.aspx", "title": "Neuigkeiten", "html": ["<p>Neu: Kantine</p>"]},
    )
    admin(tenant, "DELETE", "requests")

    sync(env)
    after = index(env)
    kept = report(env)
    assert set(after) == (INDEXED - {"finanzen.md", "link.md"}) | {"neu.md", "link-umbenannt.md", "News.aspx"}
    assert after["neu.md"]["acl"] == {group_key(FIN)}
    assert "Meilensteinen" in after["projektplan.md"]["text"]
    assert after["projektplan.md"]["chunk_ids"] == before["projektplan.md"]["chunk_ids"]  # replaced, not doubled
    assert after["link-umbenannt.md"]["item_id"] == before["link.md"]["item_id"]
    assert after["link-umbenannt.md"]["text"] == before["link.md"]["text"]
    assert "/neu/ablage/handbuch.md" in after["handbuch.md"]["web_url"]
    assert after["people.md"]["acl"] == {user_key(CAROL)}
    assert kept["added"] == 2 and kept["updated"] == 1 and kept["deleted"] == 1
    assert kept["permission_only"] == 3  # renamed, moved, re-shared: re-stamped without re-embedding
    assert kept["drives_reset"] == 0
    downloads = [r for r in admin(tenant, "GET", "requests") if r["kind"] == "download"]
    assert len(downloads) == 2  # only the new and the changed file were downloaded


def test_permission_refresh_restamps_acls_without_downloading(tenant: DevTenant, env: dict[str, str]) -> None:
    sync(env)
    before = index(env)
    admin(tenant, "PATCH", f"items/{before['handbuch.md']['item_id']}", {"readers": ["user:anna@sync.dev"]})
    admin(tenant, "DELETE", f"items/{before['opaque.md']['item_id']}")
    admin(tenant, "DELETE", "requests")
    result = sync(env, "--permissions-only")
    after = index(env)
    kept = report(env)
    assert kept["mode"] == "permissions" and "permissions finished" in result.stdout
    assert after["handbuch.md"]["acl"] == {user_key(ANNA)}
    assert after["handbuch.md"]["text"] == before["handbuch.md"]["text"]
    assert "opaque.md" not in after
    assert kept["permission_only"] == 1 and kept["deleted"] == 1 and kept["added"] == 0
    kinds = {r["kind"] for r in admin(tenant, "GET", "requests")}
    assert "download" not in kinds
    assert not any("delta" in r["path"] for r in admin(tenant, "GET", "requests"))


def test_expired_delta_link_resyncs_only_that_drive(tenant: DevTenant, env: dict[str, str]) -> None:
    sync(env)
    before = index(env)
    admin(tenant, "DELETE", f"items/{before['handbuch.md']['item_id']}")
    admin(
        tenant,
        "POST",
        "faults",
        {"path_regex": f"^/v1\\.0/drives/{ARCHIVE_DRIVE}/.*delta.*token", "status": 410, "count": 1},
    )
    admin(tenant, "DELETE", "requests")
    sync(env)
    kept = report(env)
    assert kept["drives_reset"] == 1
    assert "handbuch.md" not in index(env) and kept["deleted"] == 1
    delta_calls = [r for r in admin(tenant, "GET", "requests") if "delta" in r["path"] and r["status"] == 200]
    alpha = [r for r in delta_calls if ALPHA_DRIVE in r["path"]]
    assert alpha and all("token" in (r["path"] + r.get("query", "")) for r in alpha)  # alpha kept its cursor


def test_throttling_server_errors_and_broken_pages_are_retried_past_the_sdk(
    tenant: DevTenant, env: dict[str, str]
) -> None:
    # the SDK retries 429 three times: five in a row get past it; it never retries 500/502
    admin(tenant, "POST", "faults", {"path_regex": "/permissions", "status": 429, "retry_after": 1, "count": 5})
    admin(tenant, "POST", "faults", {"path_regex": "/root/delta", "status": 500, "count": 2})
    admin(tenant, "POST", "faults", {"path_regex": "skiptoken|token=", "status": 502, "count": 1})
    admin(tenant, "POST", "faults", {"path_regex": "^/_download/", "status": 503, "retry_after": 1, "count": 2})
    admin(tenant, "POST", "faults", {"path_regex": "/pages", "status": 429, "retry_after": 1, "count": 4})
    sync(env)
    assert admin(tenant, "GET", "faults") == []  # every fault was hit
    assert set(index(env)) == INDEXED
    kept = report(env)
    assert kept["skipped"] == {"corrupt": 1, "encrypted": 1, "empty": 1}


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


def test_retry_after_longer_than_the_sdk_accepts_is_waited_out(tenant: DevTenant, env: dict[str, str]) -> None:
    admin(tenant, "POST", "faults", {"path_regex": "^/v1\\.0/sites$", "status": 429, "retry_after": 600, "count": 1})
    config = graph_config(tenant)
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    async def list_sites(max_wait: float) -> Any:
        graph = connect(config)
        try:
            return await with_retries(
                graph.client.sites.get, RetryPolicy(max_retry_after_s=max_wait), "list sites", sleep=record
            )
        finally:
            await graph.close()

    # the SDK's handler gives up on a 600 s Retry-After (it accepts < 180 s); ours waits it out
    sites = asyncio.run(list_sites(900))
    assert waits == [600.0]
    assert sites is not None and len(sites.value or []) == 2
    # beyond the configured bound the call fails instead of hanging
    admin(tenant, "POST", "faults", {"path_regex": "^/v1\\.0/sites$", "status": 429, "retry_after": 600, "count": 1})
    with pytest.raises(APIError) as failure:
        asyncio.run(list_sites(300))
    assert failure.value.response_status_code == 429 and waits == [600.0]


def test_one_throttled_graph_call_is_sent_exactly_graph_retry_max_attempts_times(
    tenant: DevTenant, env: dict[str, str]
) -> None:
    """Our retry loop is the only one: with kiota's RetryHandler inside it, this was 4 × 6 = 24 requests."""
    listing = "/v1.0/sites/getAllSites()"  # as msgraph-sdk sends it
    # 1 for the bare call, 3 for the sync with 3 attempts, 5 for the default sync (6 attempts)
    fault = {"path_regex": f"^{re.escape(listing)}", "status": 429, "retry_after": 0, "count": 9}
    admin(tenant, "POST", "faults", fault)

    def sent() -> list[int]:
        return [r["status"] for r in admin(tenant, "GET", "requests") if r["path"] == listing]

    async def bare_call() -> Any:
        graph = connect(graph_config(tenant))
        try:
            return await graph.client.sites.get_all_sites.get()
        finally:
            await graph.close()

    admin(tenant, "DELETE", "requests")
    with pytest.raises(APIError) as failure:
        asyncio.run(bare_call())
    assert failure.value.response_status_code == 429
    assert sent() == [429], "the client built by connect() must not retry by itself"

    admin(tenant, "DELETE", "requests")
    result = sync({**env, "GRAPH_RETRY_MAX_ATTEMPTS": "3"}, check=False)
    assert result.returncode == 1 and "429" in result.stderr
    assert sent() == [429] * 3

    admin(tenant, "DELETE", "requests")
    sync(env)  # the default, 6 attempts: the sync waits out 5 throttled answers and succeeds
    assert sent()[:6] == [429] * 5 + [200] and admin(tenant, "GET", "faults") == []


def _kill_when(env: dict[str, str], ready: Any, timeout: float = 120) -> None:
    process = subprocess.Popen(
        [sys.executable, "app.py", "sync"],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    try:
        while not ready():
            assert process.poll() is None, "the sync finished before it could be killed"
            assert time.monotonic() < deadline, "kill point not reached"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)


def test_killed_sync_resumes_to_exactly_the_full_index(tenant: DevTenant, env: dict[str, str], tmp_path: Path) -> None:
    reference_env = {**env, "DATA_DIR": str(tmp_path / "reference")}
    sync(reference_env)
    reference = index(reference_env)
    # slow the archive drive down so the kills land inside a sync
    admin(
        tenant,
        "POST",
        "faults",
        {"path_regex": f"{ARCHIVE_DRIVE}.*/permissions", "status": 429, "retry_after": 1, "count": 6},
    )
    admin(tenant, "DELETE", "requests")
    data = Path(env["DATA_DIR"])

    def downloads() -> int:
        return sum(1 for r in admin(tenant, "GET", "requests") if r["kind"] == "download")

    env = {**env, "SYNC_CHECKPOINT_INTERVAL_S": "0"}  # save every page (of 2 items)

    def saved(name: str) -> dict[str, Any]:
        try:
            return dict(json.loads((data / "sync" / name).read_text()))
        except FileNotFoundError:
            return {}

    _kill_when(env, lambda: downloads() >= 3)  # inside the first drive
    # inside the archive drive's full round, after at least one saved page of it
    _kill_when(
        env,
        lambda: len(saved("full_rounds.json").get(ARCHIVE_DRIVE, [])) >= 2 and ARCHIVE_DRIVE in saved("cursors.json"),
    )
    admin(tenant, "DELETE", "requests")
    sync(env)
    assert saved("full_rounds.json") == {}
    archive_delta = [r for r in admin(tenant, "GET", "requests") if ARCHIVE_DRIVE in r["path"] and "delta" in r["path"]]
    assert archive_delta and all("token" in r["path"] + r.get("query", "") for r in archive_delta)  # resumed mid-round
    resumed = index(env)
    assert set(resumed) == set(reference)
    for name, doc in reference.items():
        assert resumed[name]["chunk_ids"] == doc["chunk_ids"], name
        assert resumed[name]["acl"] == doc["acl"], name
