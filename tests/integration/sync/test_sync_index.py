"""``python app.py sync`` against the dev tenant with the real msgraph-sdk: what ends up in the index.

No LLM here: the package's dev tenant (``conftest.py``) and a fresh DATA_DIR per test.
"""

from __future__ import annotations

from access import group_key, tenant_key, user_key
from devstack.processes import DevTenant
from tests.integration.sync.support import (
    ALPHA_DRIVE,
    ANNA,
    ARCHIVE_DRIVE,
    BEN,
    CAROL,
    DORA,
    FIN,
    INDEXED,
    TEAM,
    TENANT,
    _text,
    admin,
    index,
    item_id,
    report,
    sync,
)


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
