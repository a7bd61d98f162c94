"""The dev tenant as a process, and its Entra ID endpoints with the real azure-identity."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path
from typing import Any

import jwt
import pytest
from azure.core.exceptions import ClientAuthenticationError
from cryptography import x509

from devtenant.client import credential
from devtenant.pki import ensure_pki
from devtenant.tokens import issue_user_token
from tests.devtenant.support import (
    ALICE,
    CLIENT_ID,
    GRAPH_SCOPE,
    SECRET,
    TENANT_ID,
    http,
    run,
    start_server,
    stop_server,
    sync_credential,
)


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


def testsync_credential_gets_a_graph_token(tenant: dict[str, Any]) -> None:
    token = sync_credential(tenant, connection_verify=tenant["ca_file"]).get_token(GRAPH_SCOPE)
    with http(tenant) as client:
        oidc = client.get(f"/{TENANT_ID}/v2.0/.well-known/openid-configuration").json()
        keys = client.get(oidc["jwks_uri"]).json()
    key = jwt.PyJWKSet.from_dict(keys)[jwt.get_unverified_header(token.token)["kid"]]
    claims = jwt.decode(token.token, key.key, algorithms=["RS256"], audience="https://graph.microsoft.com")
    assert claims["iss"] == f"https://sts.windows.net/{TENANT_ID}/"
    assert claims["tid"] == TENANT_ID and claims["appid"] == CLIENT_ID
    assert set(claims["roles"]) == {"Sites.Read.All", "GroupMember.Read.All", "User.Read.All"}
    assert oidc["issuer"] == f"{tenant['url']}/{TENANT_ID}/v2.0"


def testsync_credential_trusts_ca_via_requests_ca_bundle(
    tenant: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # azure-core's sync transport is `requests`: it ignores SSL_CERT_FILE but honours REQUESTS_CA_BUNDLE.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", tenant["ca_file"])
    assert sync_credential(tenant).get_token(GRAPH_SCOPE).token


def test_aio_credential_gets_a_token(tenant: dict[str, Any]) -> None:
    async def scenario() -> str:
        async with credential(tenant) as cred:
            return (await cred.get_token(GRAPH_SCOPE)).token

    assert jwt.decode(run(scenario), options={"verify_signature": False})["aud"] == "https://graph.microsoft.com"


def test_wrong_secret_is_rejected(tenant: dict[str, Any]) -> None:
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        sync_credential(tenant, "nope", connection_verify=tenant["ca_file"]).get_token(GRAPH_SCOPE)
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
