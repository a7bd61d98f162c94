"""Minting and validating the dev tenant's JWT access tokens."""

from __future__ import annotations

import base64
import hashlib
import os
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .config import GRAPH_APP_ID, GRAPH_RESOURCE, load_connection_info
from .manifest import load_manifest
from .pki import PkiFiles, load_signing_key

APP_ROLES: tuple[str, ...] = ("Sites.Read.All", "GroupMember.Read.All", "User.Read.All")
TOKEN_LIFETIME_S = 3599


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_uint(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def service_principal_id(tenant_id: str, client_id: str) -> str:
    """Stable object id of the app's service principal (the ``oid`` of app tokens)."""
    return str(uuid.uuid5(uuid.UUID(int=0), f"{tenant_id}/{client_id}"))


class TokenService:
    """Signs access tokens with the state directory's RSA key and validates Graph tokens."""

    def __init__(self, key: rsa.RSAPrivateKey, cert: x509.Certificate, url: str, tenant_id: str) -> None:
        self._key = key
        self._cert = cert
        self._url = url
        self.tenant_id = tenant_id
        der = cert.public_bytes(serialization.Encoding.DER)
        self.kid = _b64url(hashlib.sha1(der).digest())  # Entra uses the x5t as kid
        self._x5c = base64.b64encode(der).decode("ascii")

    @classmethod
    def from_state_dir(cls, state_dir: Path, url: str, tenant_id: str) -> TokenService:
        key, cert = load_signing_key(PkiFiles.in_dir(state_dir))
        return cls(key, cert, url, tenant_id)

    @property
    def v1_issuer(self) -> str:
        return f"https://sts.windows.net/{self.tenant_id}/"

    @property
    def v2_issuer(self) -> str:
        return f"{self._url}/{self.tenant_id}/v2.0"

    def jwks(self) -> dict[str, Any]:
        numbers = self._key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": self.kid,
                    "x5t": self.kid,
                    "n": _b64url_uint(numbers.n),
                    "e": _b64url_uint(numbers.e),
                    "x5c": [self._x5c],
                    "issuer": self.v2_issuer,
                }
            ]
        }

    def sign(self, claims: Mapping[str, Any]) -> str:
        headers = {"typ": "JWT", "kid": self.kid, "x5t": self.kid}
        return jwt.encode(dict(claims), self._key, algorithm="RS256", headers=headers)

    def app_token(self, client_id: str, app_name: str, resource: str) -> str:
        """A v1 app-only token as Entra issues for the client credentials grant."""
        now = int(time.time())
        oid = service_principal_id(self.tenant_id, client_id)
        is_graph = resource in (GRAPH_RESOURCE, GRAPH_APP_ID)
        claims: dict[str, Any] = {
            "aud": GRAPH_RESOURCE if is_graph else resource,
            "iss": self.v1_issuer,
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME_S,
            "app_displayname": app_name,
            "appid": client_id,
            "appidacr": "1",
            "idp": self.v1_issuer,
            "idtyp": "app",
            "oid": oid,
            "sub": oid,
            "tid": self.tenant_id,
            "uti": _b64url(os.urandom(16)),
            "ver": "1.0",
        }
        if is_graph:
            claims["roles"] = list(APP_ROLES)
        return self.sign(claims)

    def user_token(self, user: Mapping[str, Any], audience: str, **overrides: Any) -> str:
        """A v2 delegated token for `user`; any claim can be overridden or added."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": audience,
            "iss": self.v2_issuer,
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME_S,
            "oid": user.get("id"),
            "sub": _b64url(hashlib.sha256(f"{user.get('id')}/{audience}".encode()).digest()[:24]),
            "tid": self.tenant_id,
            "scp": "access_as_user",
            "name": user.get("displayName"),
            "preferred_username": user.get("userPrincipalName"),
            "uti": _b64url(os.urandom(16)),
            "ver": "2.0",
        }
        claims.update(overrides)
        return self.sign({k: v for k, v in claims.items() if v is not None})

    def validate_graph_token(self, token: str) -> dict[str, Any]:
        """Decode and check a bearer token presented to Graph; raises `jwt.PyJWTError`."""
        header = jwt.get_unverified_header(token)
        if header.get("kid") != self.kid:
            raise jwt.InvalidTokenError("token is not signed by this tenant's key")
        claims: dict[str, Any] = jwt.decode(
            token,
            self._key.public_key(),
            algorithms=["RS256"],
            audience=[GRAPH_RESOURCE, GRAPH_APP_ID, f"{GRAPH_RESOURCE}/"],
            options={"require": ["exp", "iss", "aud"]},
            leeway=30,
        )
        if claims.get("iss") not in (self.v1_issuer, self.v2_issuer):
            raise jwt.InvalidIssuerError(f"unexpected issuer {claims.get('iss')!r}")
        if claims.get("tid") != self.tenant_id:
            raise jwt.InvalidTokenError("token is for another tenant")
        return claims


def issue_user_token(
    config: str | os.PathLike[str] | Mapping[str, Any],
    user_id: str,
    audience: str,
    **overrides: Any,
) -> str:
    """Mint a delegated (v2) access token for a seed user, signed like the server's tokens.

    `config` is the running server's ``devtenant.json`` (parsed mapping or path)
    or its state directory; `user_id` is an object id or a userPrincipalName.
    The token validates against ``{url}/{tenant}/discovery/v2.0/keys`` with
    issuer ``{url}/{tenant}/v2.0``. Extra keyword arguments override claims.
    """
    info = load_connection_info(config)
    state_dir = Path(info["state_dir"])
    service = TokenService.from_state_dir(state_dir, info["url"], info["tenant_id"])
    user = load_manifest(Path(info["seed_dir"])).find_user(user_id)
    if user is None:
        if "oid" not in overrides:
            raise KeyError(f"unknown user {user_id!r} (pass oid=... to mint for a non-seed user)")
        user = {"id": overrides["oid"]}
    return service.user_token(user, audience, **overrides)
