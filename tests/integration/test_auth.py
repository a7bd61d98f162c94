"""Only genuine callers get in: Entra tokens on /api/ask, Bot Framework tokens on /api/messages.

The app runs here as it runs in production: DEV_MODE off, bot credentials configured. Tokens are
minted with the dev tenant's own signing key (and, for the forgeries, with keys of our own)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from devstack.processes import free_port, start_app
from devtenant.tokens import issue_user_token
from tests.integration.conftest import Running, TeamsChannel

QUESTION = "Wie hoch ist die Hotelobergrenze pro Nacht in Deutschland?"


@pytest.fixture(scope="module")
def secured(running: Running, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {
        **running.env,
        "DEV_MODE": "false",
        "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID": "00000000-0000-0000-0000-00000000b0b0",
        "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET": "bot-secret-for-tests",
        "BOT_SERVICE_URL_HOSTS": "127.0.0.1",
    }
    child, url = start_app(env, tmp_path_factory.mktemp("secured-logs"), free_port())
    try:
        yield url
    finally:
        child.stop()


def _token(running: Running, user: str = "anna.schmidt@contoso.dev", **overrides: Any) -> str:
    audience = overrides.pop("aud", f"api://{running.env['AZURE_CLIENT_ID']}")
    return issue_user_token(running.stack.devtenant.info, user, audience, **overrides)


def _ask(url: str, token: str | None, body: dict[str, Any] | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return requests.post(f"{url}/api/ask", json=body or {"question": QUESTION}, headers=headers, timeout=120)


def test_valid_entra_token_is_answered_as_its_user(running: Running, secured: str) -> None:
    response = _ask(secured, _token(running))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["outcome"] == "answered"
    assert any(c["url"].endswith("Reisekostenrichtlinie.pdf") for c in body["citations"])


def _foreign_key_token(running: Running) -> str:
    """Right claims and the server's key id, but signed with a key the tenant never published."""
    genuine = _token(running)
    header = jwt.get_unverified_header(genuine)
    claims = jwt.decode(genuine, options={"verify_signature": False})
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": header["kid"]})


def _unsigned_token(running: Running) -> str:
    claims = jwt.decode(_token(running), options={"verify_signature": False})
    return jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda r: None, id="missing"),
        pytest.param(lambda r: "", id="empty"),
        pytest.param(lambda r: "not-a-jwt", id="garbage"),
        pytest.param(lambda r: _token(r, exp=int(time.time()) - 3600, iat=int(time.time()) - 7200), id="expired"),
        pytest.param(lambda r: _token(r, nbf=int(time.time()) + 3600), id="not-yet-valid"),
        pytest.param(lambda r: _token(r, aud="api://some-other-app"), id="wrong-audience"),
        pytest.param(lambda r: _token(r, iss="https://login.example.com/evil/v2.0"), id="wrong-issuer"),
        pytest.param(lambda r: _token(r, tid="00000000-0000-0000-0000-000000000bad"), id="wrong-tenant"),
        pytest.param(lambda r: _token(r, oid=None), id="no-object-id"),
        pytest.param(_foreign_key_token, id="badly-signed"),
        pytest.param(_unsigned_token, id="alg-none"),
        pytest.param(lambda r: _token(r) + "x", id="tampered-signature"),
    ],
)
def test_bad_tokens_get_401_never_500(running: Running, secured: str, make: Any) -> None:
    response = _ask(secured, make(running))
    assert response.status_code == 401, response.text
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
    assert "answer" not in response.json()


def test_demo_user_selection_is_impossible_with_credentials(running: Running, secured: str) -> None:
    response = requests.post(
        f"{secured}/api/ask", json={"question": QUESTION, "user": "anna.schmidt@contoso.dev"}, timeout=30
    )
    assert response.status_code in (400, 401)
    with_token = _ask(secured, _token(running, "dana.mueller@contoso.dev"), {"question": QUESTION, "user": "anna"})
    assert with_token.status_code == 400, "a token holder cannot pick another identity"
    assert requests.get(f"{secured}/api/demo-users", timeout=10).status_code == 404
    assert requests.get(f"{secured}/", timeout=10).status_code == 404


def _bot_framework_lookalike() -> str:
    """A Bot Framework-shaped token signed with our own key (its keys cannot be fetched here)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {
        "iss": "https://api.botframework.com",
        "aud": "00000000-0000-0000-0000-00000000b0b0",
        "exp": now + 3600,
        "nbf": now - 60,
        "serviceurl": "http://127.0.0.1/",
    }
    return "Bearer " + jwt.encode(claims, key, algorithm="RS256", headers={"kid": "forged-key"})


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-jwt", "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "Basic YWRtaW46YWRtaW4=", "lookalike"],
)
def test_bot_endpoint_refuses_activities_without_a_bot_framework_token(
    secured: str, teams: TeamsChannel, authorization: str | None
) -> None:
    activity = teams.activity("anna.schmidt@contoso.dev", QUESTION)
    if authorization == "lookalike":
        authorization = _bot_framework_lookalike()
    headers = {"Authorization": authorization} if authorization else {}
    response = requests.post(f"{secured}/api/messages", json=activity, headers=headers, timeout=60)
    assert response.status_code == 401, response.text
    assert teams.capture.activities(activity["conversation"]["id"]) == []


def test_settings_refuse_dev_mode_with_bot_credentials(running: Running, tmp_path: Path) -> None:
    env = {
        "DEV_MODE": "true",
        "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID": "bot",
        "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET": "secret",
    }
    result = running.cli("serve", env=env, timeout=60)
    assert result.returncode == 2 and "DEV_MODE=true cannot be combined" in result.stderr
