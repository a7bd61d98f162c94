"""Validating Entra ID access tokens for /api/ask (the SharePoint web part's calls).

Signing keys and issuer come from ``{AZURE_AUTHORITY_HOST}/{tenant}/v2.0/.well-known/
openid-configuration``, so sovereign clouds and the dev tenant work by configuration. Checked:
signature (RS256 with a key from the tenant's JWKS), issuer, audience, expiry/not-before, tenant.
Every failure is ``InvalidToken`` (a 401), never an exception that becomes a 500.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

import jwt


class InvalidToken(Exception):
    """The bearer token is missing or not acceptable; the message is safe to log, not to return."""


@dataclass(frozen=True)
class Caller:
    user_id: str
    tenant_id: str
    name: str = ""


class EntraTokenValidator:
    """Validates v1/v2 Entra access tokens for one tenant and a set of audiences."""

    def __init__(
        self,
        authority_host: str,
        tenant_id: str,
        audiences: list[str],
        ssl_context: ssl.SSLContext,
        keys_ttl_s: float = 3600.0,
    ) -> None:
        self._metadata_url = f"{authority_host.rstrip('/')}/{tenant_id}/v2.0/.well-known/openid-configuration"
        self._tenant_id = tenant_id.lower()
        self._audiences = audiences
        self._ssl = ssl_context
        self._keys_ttl_s = keys_ttl_s
        self._issuer: str | None = None
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    def _get_json(self, url: str) -> dict[str, Any]:
        with urllib.request.urlopen(url, timeout=10, context=self._ssl) as response:  # noqa: S310 - https from settings
            return dict(json.loads(response.read()))

    def _refresh(self) -> None:
        metadata = self._get_json(self._metadata_url)
        jwks = self._get_json(metadata["jwks_uri"])
        keys = {}
        for jwk in jwks.get("keys", []):
            if jwk.get("kid"):
                keys[jwk["kid"]] = jwt.PyJWK(jwk).key
        self._issuer = metadata["issuer"].replace("{tenantid}", self._tenant_id)
        self._keys = keys
        self._fetched_at = time.monotonic()

    async def _key_for(self, kid: str) -> Any:
        async with self._lock:
            stale = time.monotonic() - self._fetched_at > self._keys_ttl_s
            if stale or kid not in self._keys:
                try:
                    await asyncio.to_thread(self._refresh)
                except Exception as exc:  # noqa: BLE001 - unreachable metadata means no valid token
                    raise InvalidToken(f"signing keys unavailable: {type(exc).__name__}") from exc
        if kid not in self._keys:
            raise InvalidToken("unknown signing key")
        return self._keys[kid]

    async def validate(self, authorization: str | None) -> Caller:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise InvalidToken("no bearer token")
        token = authorization[7:].strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed token") from exc
        if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
            raise InvalidToken("unexpected token algorithm")
        key = await self._key_for(header["kid"])
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                audience=self._audiences,
                issuer=[self._issuer or "", f"https://sts.windows.net/{self._tenant_id}/"],
                options={"require": ["exp", "iat", "aud", "iss"]},
                leeway=60,
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(type(exc).__name__) from exc
        if str(claims.get("tid", "")).lower() != self._tenant_id:
            raise InvalidToken("wrong tenant")
        oid = claims.get("oid")
        if not isinstance(oid, str) or not oid:
            raise InvalidToken("token has no user object id")
        return Caller(user_id=oid, tenant_id=self._tenant_id, name=str(claims.get("name", "")))
