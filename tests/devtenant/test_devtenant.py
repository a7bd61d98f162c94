"""Integration tests: devtenant runs as a real subprocess; the real azure-identity and
msgraph-sdk talk to it over HTTPS, trusting its CA."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import jwt
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential
from cryptography import x509
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from devtenant.client import credential, graph_client
from devtenant.pki import ensure_pki
from devtenant.tokens import issue_user_token

REPO = Path(__file__).resolve().parents[2]
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
TENANT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "99999999-8888-7777-6666-555555555555"
SECRET = "test-secret"
ALICE = "aaaaaaaa-0000-0000-0000-000000000001"
BOB = "aaaaaaaa-0000-0000-0000-000000000002"
G_ALL, G_FIN, G_CTRL, G_ENG = (f"bbbbbbbb-0000-0000-0000-00000000000{i}" for i in range(1, 5))
DRIVE = "b!testdrive-documents"
TRAVEL = "01TRAVEL0000000000000000000000000"
BUDGET = "01BUDGET0000000000000000000000000"
LEAVE = "01LEAVE00000000000000000000000000"
T = TypeVar("T")

MANIFEST: dict[str, Any] = {
    "tenant": {"id": TENANT_ID, "displayName": "Test Tenant", "domain": "test.dev"},
    "app": {"client_id": CLIENT_ID, "client_secret": SECRET},
    "users": [
        {
            "id": ALICE,
            "userPrincipalName": "alice@test.dev",
            "displayName": "Alice Adams",
            "mail": "alice@test.dev",
            "department": "Controlling",
            "preferredLanguage": "de-DE",
        },
        {
            "id": BOB,
            "userPrincipalName": "bob@test.dev",
            "displayName": "Bob Brown",
            "mail": "bob@test.dev",
            "department": "Engineering",
        },
        {
            "id": "aaaaaaaa-0000-0000-0000-000000000003",
            "userPrincipalName": "carol@test.dev",
            "displayName": "Carol Clark",
        },
    ],
    "groups": [
        {
            "id": G_ALL,
            "displayName": "All Staff",
            "mailNickname": "all",
            "securityEnabled": True,
            "groupTypes": [],
            "members": [G_FIN, G_ENG],
        },
        {
            "id": G_FIN,
            "displayName": "Finance",
            "mailNickname": "finance",
            "securityEnabled": True,
            "groupTypes": [],
            "members": [G_CTRL],
        },
        {
            "id": G_CTRL,
            "displayName": "Controlling",
            "mailNickname": "ctrl",
            "securityEnabled": True,
            "groupTypes": [],
            "members": [ALICE],
        },
        {
            "id": G_ENG,
            "displayName": "Engineering",
            "mailNickname": "eng",
            "securityEnabled": True,
            "groupTypes": [],
            "members": [BOB],
        },
    ],
    "sites": [
        {
            "id": "test.dev,aaaa0000-0000-0000-0000-000000000001,bbbb0000-0000-0000-0000-000000000001",
            "name": "intranet",
            "displayName": "Intranet",
            "drives": [
                {
                    "id": DRIVE,
                    "name": "Documents",
                    "items": [
                        {
                            "id": TRAVEL,
                            "path": "Policies/Travel Policy.txt",
                            "source": "docs/travel.txt",
                            "title": "Travel policy",
                            "readers": ["group:All Staff"],
                        },
                        {"path": "Policies/Security.md", "source": "docs/security.md", "readers": ["organization"]},
                        {
                            "id": BUDGET,
                            "path": "Finance/Budget.txt",
                            "source": "docs/budget.txt",
                            "readers": ["group:Finance", "user:carol@test.dev", "opaque"],
                        },
                        {"path": "HR", "folder": True, "readers": ["group:All Staff"]},
                        {"id": LEAVE, "path": "HR/Leave.txt", "source": "docs/leave.txt"},
                    ],
                }
            ],
        },
        {
            "id": "test.dev,aaaa0000-0000-0000-0000-000000000002,bbbb0000-0000-0000-0000-000000000002",
            "name": "teams",
            "displayName": "Teams",
            "drives": [
                {
                    "id": "b!testdrive-teams",
                    "name": "Documents",
                    "items": [{"path": "Notes.txt", "source": "docs/leave.txt", "readers": ["user:bob@test.dev"]}],
                }
            ],
        },
    ],
}
DOCS = {
    "travel.txt": b"Travel: economy class below six hours.\n",
    "security.md": b"# Security\nLock your screen.\n",
    "budget.txt": b"Budget 2025: confidential.\n",
    "leave.txt": b"Leave: 30 days a year.\n",
}
SEED_ITEM_COUNT = 1 + 3 + 4  # root + folders (Policies, Finance, HR) + files


def run(factory: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(factory())  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def seed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    seed = tmp_path_factory.mktemp("seed")
    (seed / "docs").mkdir()
    for name, data in DOCS.items():
        (seed / "docs" / name).write_bytes(data)
    (seed / "tenant.json").write_text(json.dumps(MANIFEST), encoding="utf-8")
    return seed


def start_server(state: Path, seed: Path, *extra: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    stderr = open(state / "stderr.log", "w", encoding="utf-8")  # noqa: SIM115 - lives with the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "devtenant", "--state-dir", str(state), "--seed", str(seed), "--page-size", "3", *extra],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    conn = state / "devtenant.json"
    deadline = time.monotonic() + 30
    while not conn.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("devtenant did not start: " + (state / "stderr.log").read_text())
        time.sleep(0.05)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    info = json.loads(conn.read_text(encoding="utf-8"))
    assert line.strip() == f"DEVTENANT READY {info['url']}"
    return proc, info


def stop_server(proc: subprocess.Popen[str]) -> int:
    proc.terminate()
    try:
        return proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


@pytest.fixture(scope="module")
def tenant(tmp_path_factory: pytest.TempPathFactory, seed_dir: Path) -> Iterator[dict[str, Any]]:
    state = tmp_path_factory.mktemp("state")
    proc, info = start_server(state, seed_dir, "--parent-pid", str(os.getpid()))
    yield info
    assert stop_server(proc) == 0


def http(info: dict[str, Any]) -> httpx.Client:
    return httpx.Client(base_url=info["url"], verify=ssl.create_default_context(cafile=info["ca_file"]))


def admin(info: dict[str, Any], method: str, path: str, body: Any = None) -> Any:
    with http(info) as client:
        response = client.request(method, f"/_admin{path}", json=body)
    assert response.status_code < 300, response.text
    return response.json()


@pytest.fixture(autouse=True)
def fresh(request: pytest.FixtureRequest) -> None:
    if "tenant" in request.fixturenames:
        admin(request.getfixturevalue("tenant"), "POST", "/reset")


def graph_requests(info: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in admin(info, "GET", "/requests") if r["kind"] in ("graph", "download")]


# -- process, PKI and CLI ---------------------------------------------------------------
def test_pki_is_created_once_and_reused(tmp_path: Path) -> None:
    files = ensure_pki(tmp_path)
    ca_before = files.ca_cert.read_bytes()
    server_before = files.server_cert.read_bytes()
    assert ensure_pki(tmp_path).ca_cert.read_bytes() == ca_before
    assert files.server_cert.read_bytes() == server_before
    cert = x509.load_pem_x509_certificate(server_before)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(ip) for ip in san.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]


def test_connection_file(tenant: dict[str, Any]) -> None:
    assert tenant["url"].startswith("https://127.0.0.1:")
    assert tenant["graph_base_url"] == tenant["url"] + "/v1.0"
    assert tenant["authority_host"] == tenant["url"]
    assert (tenant["tenant_id"], tenant["client_id"], tenant["client_secret"]) == (TENANT_ID, CLIENT_ID, SECRET)
    assert Path(tenant["ca_file"]).is_file() and tenant["pid"] > 0


def test_sigterm_and_parent_exit_stop_the_server(tmp_path: Path, seed_dir: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    proc, _ = start_server(first, seed_dir)
    assert stop_server(proc) == 0
    assert not (first / "devtenant.json").exists()
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    child, _ = start_server(second, seed_dir, "--parent-pid", str(parent.pid))
    parent.kill()
    parent.wait()
    assert child.wait(timeout=10) == 0


def test_real_seed_loads_if_present() -> None:
    from devtenant.config import DEFAULT_SEED_DIR, DevTenantConfig
    from devtenant.state import TenantState

    if not (DEFAULT_SEED_DIR / "tenant.json").exists():
        pytest.skip("devtenant/seed/tenant.json not there yet")
    state = TenantState.load(
        DevTenantConfig(state_dir=Path("/nonexistent"), url="https://127.0.0.1:1", seed_dir=DEFAULT_SEED_DIR)
    )
    assert state.store.sites and state.directory.users


# -- Entra ID -------------------------------------------------------------------------------
def _sync_credential(info: dict[str, Any], secret: str = SECRET, **kwargs: Any) -> ClientSecretCredential:
    return ClientSecretCredential(
        info["tenant_id"],
        info["client_id"],
        secret,
        authority=info["authority_host"],
        disable_instance_discovery=True,
        **kwargs,
    )


def test_sync_credential_gets_a_graph_token(tenant: dict[str, Any]) -> None:
    token = _sync_credential(tenant, connection_verify=tenant["ca_file"]).get_token(GRAPH_SCOPE)
    with http(tenant) as client:
        oidc = client.get(f"/{TENANT_ID}/v2.0/.well-known/openid-configuration").json()
        keys = client.get(oidc["jwks_uri"]).json()
    key = jwt.PyJWKSet.from_dict(keys)[jwt.get_unverified_header(token.token)["kid"]]
    claims = jwt.decode(token.token, key.key, algorithms=["RS256"], audience="https://graph.microsoft.com")
    assert claims["iss"] == f"https://sts.windows.net/{TENANT_ID}/"
    assert claims["tid"] == TENANT_ID and claims["appid"] == CLIENT_ID
    assert set(claims["roles"]) == {"Sites.Read.All", "GroupMember.Read.All", "User.Read.All"}
    assert oidc["issuer"] == f"{tenant['url']}/{TENANT_ID}/v2.0"


def test_sync_credential_trusts_ca_via_requests_ca_bundle(
    tenant: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # azure-core's sync transport is `requests`: it ignores SSL_CERT_FILE but honours REQUESTS_CA_BUNDLE.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", tenant["ca_file"])
    assert _sync_credential(tenant).get_token(GRAPH_SCOPE).token


def test_aio_credential_gets_a_token(tenant: dict[str, Any]) -> None:
    async def scenario() -> str:
        async with credential(tenant) as cred:
            return (await cred.get_token(GRAPH_SCOPE)).token

    assert jwt.decode(run(scenario), options={"verify_signature": False})["aud"] == "https://graph.microsoft.com"


def test_wrong_secret_is_rejected(tenant: dict[str, Any]) -> None:
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        _sync_credential(tenant, "nope", connection_verify=tenant["ca_file"]).get_token(GRAPH_SCOPE)
    with http(tenant) as client:
        response = client.post(
            f"/{TENANT_ID}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": "nope",
                "scope": GRAPH_SCOPE,
            },
        )
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert response.json()["error_codes"] == [7000215]
        basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
        ok = client.post(
            f"/{TENANT_ID}/oauth2/v2.0/token",
            headers={"Authorization": f"Basic {basic}"},
            data={"grant_type": "client_credentials", "scope": GRAPH_SCOPE},
        )
        assert ok.status_code == 200 and ok.json()["token_type"] == "Bearer"


def test_graph_rejects_missing_or_foreign_tokens(tenant: dict[str, Any]) -> None:
    with http(tenant) as client:
        missing = client.get("/v1.0/users")
        forged = jwt.encode({"aud": "https://graph.microsoft.com", "tid": TENANT_ID}, "x" * 32, algorithm="HS256")
        foreign = client.get("/v1.0/users", headers={"Authorization": f"Bearer {forged}"})
    for response in (missing, foreign):
        assert response.status_code == 401
        error = response.json()["error"]
        assert error["code"] == "InvalidAuthenticationToken" and "request-id" in error["innerError"]


def test_issue_user_token_validates_against_jwks(tenant: dict[str, Any]) -> None:
    token = issue_user_token(tenant, "alice@test.dev", "api://bot", scp="access_as_user")
    with http(tenant) as client:
        oidc = client.get(f"/{TENANT_ID}/v2.0/.well-known/openid-configuration").json()
        keys = jwt.PyJWKSet.from_dict(client.get(oidc["jwks_uri"]).json())
    claims = jwt.decode(
        token,
        keys[jwt.get_unverified_header(token)["kid"]].key,
        algorithms=["RS256"],
        audience="api://bot",
        issuer=oidc["issuer"],
    )
    assert claims["oid"] == ALICE and claims["preferred_username"] == "alice@test.dev"
    assert claims["name"] == "Alice Adams" and claims["ver"] == "2.0" and claims["tid"] == TENANT_ID


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
        token = _sync_credential(tenant, connection_verify=tenant["ca_file"]).get_token(GRAPH_SCOPE).token
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
    token = _sync_credential(tenant, connection_verify=tenant["ca_file"]).get_token(GRAPH_SCOPE).token
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
