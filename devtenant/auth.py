"""Entra ID stand-in: OpenID metadata, JWKS and the client-credentials token endpoint,
plus the bearer-token check in front of Graph."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import uuid
from typing import Any
from urllib.parse import unquote_plus

import jwt
from aiohttp import web

from .config import GRAPH_APP_ID, GRAPH_RESOURCE
from .graph_common import GraphError
from .state import CONFIG_KEY, STATE_KEY, TOKENS_KEY
from .tokens import TOKEN_LIFETIME_S

_RESERVED_SCOPES = {"openid", "profile", "offline_access", "email"}


def _tenant_ok(request: web.Request, tenant: str) -> bool:
    manifest = request.app[STATE_KEY].manifest
    return tenant.lower() in (manifest.tenant_id.lower(), manifest.domain.lower(), "organizations")


def _aad_error(request: web.Request, status: int, error: str, code: int, description: str) -> web.Response:
    now = dt.datetime.now(dt.UTC)
    trace_id, correlation_id = str(uuid.uuid4()), request.headers.get("client-request-id", str(uuid.uuid4()))
    stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
    body = {
        "error": error,
        "error_description": f"AADSTS{code}: {description} Trace ID: {trace_id} "
        f"Correlation ID: {correlation_id} Timestamp: {stamp}",
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"{request.app[CONFIG_KEY].url}/error?code={code}",
    }
    return web.json_response(body, status=status)


def openid_configuration(request: web.Request, tenant: str) -> dict[str, Any]:
    url = request.app[CONFIG_KEY].url
    tid = request.app[STATE_KEY].manifest.tenant_id
    return {
        "token_endpoint": f"{url}/{tid}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "jwks_uri": f"{url}/{tid}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{url}/{tid}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{url}/oidc/userinfo",
        "authorization_endpoint": f"{url}/{tid}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{url}/{tid}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{url}/{tid}/oauth2/v2.0/logout",
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "nbf",
            "name",
            "oid",
            "tid",
            "preferred_username",
            "ver",
        ],
        "tenant_region_scope": "EU",
        "cloud_instance_name": "devtenant.local",
        "msgraph_host": request.host,
        "rbac_url": url,
    }


async def openid_config(request: web.Request) -> web.StreamResponse:
    tenant = request.match_info["tenant"]
    if not _tenant_ok(request, tenant) and tenant not in ("common", "consumers"):
        return _aad_error(request, 400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
    return web.json_response(openid_configuration(request, tenant))


async def instance_discovery(request: web.Request) -> web.StreamResponse:
    url = request.app[CONFIG_KEY].url
    host = request.host
    tid = request.app[STATE_KEY].manifest.tenant_id
    return web.json_response(
        {
            "tenant_discovery_endpoint": f"{url}/{tid}/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        }
    )


async def jwks(request: web.Request) -> web.StreamResponse:
    return web.json_response(request.app[TOKENS_KEY].jwks())


async def authorize(request: web.Request) -> web.StreamResponse:
    return _aad_error(
        request, 400, "unsupported_response_type", 70000, "devtenant only implements the client credentials grant."
    )


def _client_auth(request: web.Request, form: dict[str, str]) -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _, secret = decoded.partition(":")
        return unquote_plus(client_id), unquote_plus(secret)
    return form.get("client_id", ""), form.get("client_secret", "")


async def token(request: web.Request) -> web.StreamResponse:
    manifest = request.app[STATE_KEY].manifest
    tenant = request.match_info["tenant"]
    if not _tenant_ok(request, tenant):
        return _aad_error(request, 400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
    form = {k: str(v) for k, v in (await request.post()).items()}
    grant = form.get("grant_type", "")
    if grant != "client_credentials":
        return _aad_error(
            request, 400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type '{grant}'."
        )
    client_id, secret = _client_auth(request, form)
    if client_id != manifest.client_id:
        return _aad_error(
            request,
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory '{manifest.tenant_name}'.",
        )
    if not secret or not hmac.compare_digest(secret.encode(), manifest.client_secret.encode()):
        return _aad_error(
            request,
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the "
            "request is the client secret value, not the client secret ID, for a "
            f"secret added to app '{manifest.client_id}'.",
        )
    if "scope" not in form and form.get("resource"):  # v1 endpoint: resource instead of scope
        form["scope"] = form["resource"].rstrip("/") + "/.default"
    scopes = [s for s in form.get("scope", "").split() if s not in _RESERVED_SCOPES]
    if len(scopes) != 1 or not scopes[0].endswith("/.default"):
        return _aad_error(
            request,
            400,
            "invalid_scope",
            1002012,
            f"The provided value for scope {form.get('scope', '')} is not valid. "
            "Client credential flows must have a scope value with /.default "
            "suffixed to the resource identifier (application ID URI).",
        )
    resource = scopes[0][: -len("/.default")]
    if resource in (GRAPH_APP_ID,):
        resource = GRAPH_RESOURCE
    access_token = request.app[TOKENS_KEY].app_token(manifest.client_id, manifest.app_name, resource)
    return web.json_response(
        {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_S,
            "ext_expires_in": TOKEN_LIFETIME_S,
            "access_token": access_token,
        }
    )


def check_bearer(request: web.Request) -> dict[str, Any]:
    """Validate the Graph request's bearer token; raise a 401 `GraphError` otherwise."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer ") or not header[7:].strip():
        raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.")
    try:
        return request.app[TOKENS_KEY].validate_graph_token(header[7:].strip())
    except jwt.ExpiredSignatureError as exc:
        raise GraphError(
            401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."
        ) from exc
    except jwt.InvalidAudienceError as exc:
        raise GraphError(401, "InvalidAuthenticationToken", "Invalid audience.") from exc
    except jwt.PyJWTError as exc:
        raise GraphError(
            401, "InvalidAuthenticationToken", f"Access token validation failure. Invalid audience or signature: {exc}"
        ) from exc


def add_login_routes(app: web.Application) -> None:
    app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", openid_config)
    app.router.add_get("/{tenant}/.well-known/openid-configuration", openid_config)
    app.router.add_get("/common/discovery/instance", instance_discovery)
    app.router.add_get("/{tenant}/discovery/v2.0/keys", jwks)
    app.router.add_get("/{tenant}/discovery/keys", jwks)
    app.router.add_get("/{tenant}/oauth2/v2.0/authorize", authorize)
    app.router.add_post("/{tenant}/oauth2/v2.0/token", token)
    app.router.add_post("/{tenant}/oauth2/token", token)
