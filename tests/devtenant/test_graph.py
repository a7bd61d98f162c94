"""The dev tenant's Graph subset through the real msgraph-sdk (and raw HTTP for faults)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from devtenant.client import credential, graph_client
from tests.devtenant.support import (
    ALICE,
    BOB,
    BUDGET,
    DOCS,
    DRIVE,
    G_ALL,
    G_CTRL,
    G_ENG,
    G_FIN,
    GRAPH_SCOPE,
    LEAVE,
    SEED_ITEM_COUNT,
    TRAVEL,
    T,
    admin,
    graph_requests,
    http,
    run,
    sync_credential,
)


# -- Graph through msgraph-sdk ------------------------------------------------------------
async def _with_client(info: dict[str, Any], body: Callable[[GraphServiceClient], Awaitable[T]]) -> T:
    async with credential(info) as cred:
        client, http_client = graph_client(info, cred)
        try:
            return await body(client)
        finally:
            await http_client.aclose()


async def _collect(builder: Any, config: Any = None) -> list[Any]:
    """All values of a collection, following @odata.nextLink."""
    page = await builder.get(request_configuration=config)
    values = list(page.value)
    while page.odata_next_link:
        page = await builder.with_url(page.odata_next_link).get()
        values += page.value
    return values


def test_users_and_nested_groups(tenant: dict[str, Any]) -> None:
    async def body(client: Any) -> None:
        user = await client.users.by_user_id("alice@test.dev").get()
        assert user is not None and user.id == ALICE and user.display_name == "Alice Adams"
        direct = await client.users.by_user_id(ALICE).member_of.get()
        assert [g.id for g in direct.value] == [G_CTRL]
        # transitiveMemberOf, one group per page: follow nextLinks
        builder = client.users.by_user_id(ALICE).transitive_member_of
        config = RequestConfiguration(
            query_parameters=builder.TransitiveMemberOfRequestBuilderGetQueryParameters(top=1)
        )
        groups = await _collect(builder, config)
        assert sorted(g.display_name for g in groups) == ["All Staff", "Controlling", "Finance"]
        assert {g.odata_type for g in groups} == {"#microsoft.graph.group"}
        cast = await client.users.by_user_id(ALICE).transitive_member_of.graph_group.get()
        assert {g.id for g in cast.value} == {G_ALL, G_FIN, G_CTRL}
        members = await _collect(client.groups.by_group_id(G_ALL).transitive_members)
        assert {m.id for m in members} == {G_FIN, G_CTRL, G_ENG, ALICE, BOB}
        direct_members = await client.groups.by_group_id(G_ALL).members.get()
        assert {m.id for m in direct_members.value} == {G_FIN, G_ENG}
        all_users = await client.users.get()
        assert len(all_users.value) == 3 and all_users.odata_next_link is None

    run(lambda: _with_client(tenant, body))


def test_sites_drives_and_items(tenant: dict[str, Any]) -> None:
    async def body(client: Any) -> None:
        sites = await client.sites.get_all_sites.get()
        assert {s.name for s in sites.value} == {"intranet", "teams"}
        site = await client.sites.by_site_id("test.dev:/sites/intranet:").get()
        assert site.display_name == "Intranet" and site.web_url == f"{tenant['url']}/sites/intranet"
        drives = await client.sites.by_site_id(site.id).drives.get()
        assert [d.id for d in drives.value] == [DRIVE]
        assert (await client.sites.by_site_id(site.id).drive.get()).id == DRIVE
        item = await client.drives.by_drive_id(DRIVE).items.by_drive_item_id(TRAVEL).get()
        assert item.name == "Travel Policy.txt" and item.size == len(DOCS["travel.txt"])
        assert item.parent_reference.path == f"/drives/{DRIVE}/root:/Policies"
        assert item.parent_reference.drive_type == "documentLibrary"
        assert item.file.hashes.quick_xor_hash and item.file.mime_type == "text/plain"
        assert item.web_url == f"{tenant['url']}/sites/intranet/Shared%20Documents/Policies/Travel%20Policy.txt"
        root = await client.drives.by_drive_id(DRIVE).root.get()
        assert root.root is not None and root.folder.child_count == 3
        kids = await client.drives.by_drive_id(DRIVE).items.by_drive_item_id(root.id).children.get()
        assert [k.name for k in kids.value] == ["Finance", "HR", "Policies"]

    run(lambda: _with_client(tenant, body))
    with http(tenant) as client:  # the webUrl opens the document in a browser
        page = client.get("/sites/intranet/Shared%20Documents/Policies/Travel%20Policy.txt")
    assert page.content == DOCS["travel.txt"] and page.headers["content-type"].startswith("text/plain")


def test_content_download_follows_redirect(tenant: dict[str, Any]) -> None:
    async def body(client: Any) -> bytes | None:
        return await client.drives.by_drive_id(DRIVE).items.by_drive_item_id(BUDGET).content.get()

    assert run(lambda: _with_client(tenant, body)) == DOCS["budget.txt"]
    log = graph_requests(tenant)
    assert [(r["kind"], r["status"]) for r in log[-2:]] == [("graph", 302), ("download", 200)]


def test_permissions(tenant: dict[str, Any]) -> None:
    async def body(client: Any) -> tuple[Any, Any]:
        items = client.drives.by_drive_id(DRIVE).items
        return (
            await items.by_drive_item_id(BUDGET).permissions.get(),
            await items.by_drive_item_id(LEAVE).permissions.get(),
        )

    budget, leave = run(lambda: _with_client(tenant, body))
    group, user, opaque = budget.value
    assert group.granted_to_v2.group.id == G_FIN and group.roles == ["read"]
    assert user.granted_to_v2.user.display_name == "Carol Clark"
    assert opaque.granted_to_v2 is None and opaque.granted_to is None and opaque.link is None
    assert opaque.invitation.email == "someone@partner.example"
    (inherited,) = leave.value
    assert inherited.granted_to_v2.group.id == G_ALL and inherited.inherited_from.path == f"/drives/{DRIVE}/root:/HR"
    with http(tenant) as client:
        token = sync_credential(tenant, connection_verify=tenant["ca_file"]).get_token(GRAPH_SCOPE).token
        security = client.get(
            f"/v1.0/drives/{DRIVE}/root:/Policies/Security.md:/permissions",
            headers={"Authorization": f"Bearer {token}"},
        ).json()["value"]
    assert security[0]["link"]["scope"] == "organization" and security[0]["link"]["type"] == "view"


async def _full_delta(
    client: Any, link: str | None = None, headers: dict[str, str] | None = None
) -> tuple[list[Any], str, int]:
    builder = client.drives.by_drive_id(DRIVE).items.by_drive_item_id("root").delta
    config: RequestConfiguration[Any] = RequestConfiguration()
    for name, value in (headers or {}).items():
        config.headers.add(name, value)
    page = await (builder.with_url(link) if link else builder).get(request_configuration=config)
    items, pages = list(page.value), 1
    while page.odata_next_link:
        page = await builder.with_url(page.odata_next_link).get(request_configuration=config)
        items += page.value
        pages += 1
    assert page.odata_delta_link
    return items, page.odata_delta_link, pages


def test_delta_paging_and_changes(tenant: dict[str, Any]) -> None:
    async def body(client: Any) -> None:
        items, link, pages = await _full_delta(client)
        assert len(items) == SEED_ITEM_COUNT and pages == 3  # page size 3
        assert items[0].root is not None
        assert all(i.parent_reference.path is None for i in items[1:])  # Graph omits path in delta
        assert (await _full_delta(client, link))[0] == []

        added = admin(
            tenant,
            "POST",
            "/items",
            {"site": "intranet", "path": "Policies/New.txt", "text": "new", "readers": ["group:Finance"]},
        )
        admin(tenant, "DELETE", f"/items/{BUDGET}")
        changes, link2, _ = await _full_delta(client, link)
        files = [(c.id, c.deleted is not None) for c in changes if c.folder is None]
        assert files == [(added["id"], False), (BUDGET, True)]
        deleted = next(c for c in changes if c.id == BUDGET)
        assert deleted.deleted.state == "deleted"
        assert deleted.parent_reference.drive_id == DRIVE

        admin(tenant, "PATCH", f"/items/{TRAVEL}", {"name": "Travel 2025.txt"})
        changes, link3, _ = await _full_delta(client, link2, {"deltaExcludeParent": "true"})
        assert [(c.id, c.name) for c in changes] == [(TRAVEL, "Travel 2025.txt")]

        admin(tenant, "PATCH", f"/items/{LEAVE}", {"readers": ["group:Engineering"]})
        changes, _, _ = await _full_delta(client, link3, {"Prefer": "deltashowsharingchanges"})
        assert [c.id for c in changes] == [LEAVE]
        assert changes[0].additional_data.get("@microsoft.graph.sharedChanged") == "True"

        admin(tenant, "POST", "/delta/reset")
        with pytest.raises(ODataError) as gone:
            await _full_delta(client, link3)
        assert gone.value.response_status_code == 410
        assert gone.value.error is not None and gone.value.error.code == "resyncRequired"

    run(lambda: _with_client(tenant, body))


def test_throttling_fault_is_retried_by_the_sdk(tenant: dict[str, Any]) -> None:
    admin(tenant, "POST", "/faults", {"path_regex": r"^/v1\.0/users/", "status": 429, "retry_after": 1, "count": 1})

    async def body(client: Any) -> Any:
        return await client.users.by_user_id(BOB).get()

    started = time.monotonic()
    assert run(lambda: _with_client(tenant, body)).id == BOB
    assert time.monotonic() - started >= 1.0
    statuses = [r["status"] for r in graph_requests(tenant) if r["path"] == f"/v1.0/users/{BOB}"]
    assert statuses == [429, 200]


def test_faults_outage_and_errors_over_raw_http(tenant: dict[str, Any]) -> None:
    token = sync_credential(tenant, connection_verify=tenant["ca_file"]).get_token(GRAPH_SCOPE).token
    auth = {"Authorization": f"Bearer {token}"}
    admin(tenant, "POST", "/faults", {"path_regex": "/drives/", "status": 503, "retry_after": 7, "count": 2})
    with http(tenant) as client:
        first = client.get(f"/v1.0/drives/{DRIVE}", headers=auth)
        assert first.status_code == 503 and first.headers["Retry-After"] == "7"
        assert first.json()["error"]["code"] == "serviceNotAvailable"
        assert client.get(f"/v1.0/drives/{DRIVE}", headers=auth).status_code == 503
        assert client.get(f"/v1.0/drives/{DRIVE}", headers=auth).status_code == 200
        admin(tenant, "POST", "/down")
        assert client.get("/v1.0/users", headers=auth).status_code == 503
        admin(tenant, "POST", "/up")
        users = client.get("/v1.0/users", headers=auth, params={"$top": "2", "$select": "displayName"}).json()
        assert users["value"] == [
            {"@odata.type": "#microsoft.graph.user", "id": ALICE, "displayName": "Alice Adams"},
            {"@odata.type": "#microsoft.graph.user", "id": BOB, "displayName": "Bob Brown"},
        ]
        assert users["@odata.nextLink"].startswith(tenant["graph_base_url"] + "/users?")
        assert len(client.get(users["@odata.nextLink"], headers=auth).json()["value"]) == 1
        missing = client.get("/v1.0/users/nobody@test.dev", headers=auth)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "Request_ResourceNotFound"


def test_site_pages_with_canvas_layout(tenant: dict[str, Any]) -> None:
    page = admin(
        tenant,
        "POST",
        "/pages",
        {"name": "Home.aspx", "title": "Start", "html": ["<h2>Willkommen</h2><p>Hallo</p>", "<p>Zweiter Teil</p>"]},
    )

    async def body(client: Any) -> None:
        site = (await client.sites.get()).value[0]
        listed = await _collect(client.sites.by_site_id(site.id).pages.graph_site_page)
        assert [(p.id, p.name, p.title) for p in listed] == [(page["id"], "Home.aspx", "Start")]
        assert listed[0].canvas_layout is None  # only with $expand, as in Graph
        builder = client.sites.by_site_id(site.id).pages.by_base_site_page_id(page["id"]).graph_site_page
        query = builder.GraphSitePageRequestBuilderGetQueryParameters(expand=["canvasLayout"])
        full = await builder.get(RequestConfiguration(query_parameters=query))
        parts = full.canvas_layout.horizontal_sections[0].columns[0].webparts
        assert [p.inner_html for p in parts] == ["<h2>Willkommen</h2><p>Hallo</p>", "<p>Zweiter Teil</p>"]
        admin(tenant, "POST", "/pages", {"name": "Home.aspx", "title": "Start", "html": ["<p>neu</p>"]})
        assert (await builder.get()).e_tag != full.e_tag  # a changed page gets a new eTag
        admin(tenant, "DELETE", f"/pages/{page['id']}")
        assert await _collect(client.sites.by_site_id(site.id).pages.graph_site_page) == []

    run(lambda: _with_client(tenant, body))


def test_site_group_people_and_anonymous_permission_shapes(tenant: dict[str, Any]) -> None:
    admin(
        tenant,
        "PATCH",
        f"/items/{TRAVEL}",
        {"readers": ["sitegroup:Visitors", "people-spid:bob@test.dev", "people:alice@test.dev", "anonymous"]},
    )

    async def body(client: Any) -> None:
        perms = await _collect(client.drives.by_drive_id(DRIVE).items.by_drive_item_id(TRAVEL).permissions)
        site_group, spid, people, anonymous = perms
        assert site_group.granted_to_v2.site_group.display_name.endswith(" Visitors")
        assert site_group.granted_to_v2.user is None and site_group.roles == ["read"]
        recipient = spid.granted_to_identities_v2[0]
        assert spid.link.scope == "users" and recipient.user is None
        assert recipient.site_user.login_name == "i:0#.f|membership|bob@test.dev"
        assert people.granted_to_identities_v2[0].user.id == ALICE
        assert anonymous.link.scope == "anonymous" and anonymous.granted_to_identities_v2 == []

    run(lambda: _with_client(tenant, body))
