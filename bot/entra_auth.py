"""Validating Entra ID access tokens for /api/ask (the SharePoint web part's calls).

Signing keys and issuer come from ``{AZURE_AUTHORITY_HOST}/{tenant}/v2.0/.well-known/
openid-configuration``, so sovereign clouds and the dev tenant work by configuration. Checked:
signature (RS256 with a key from the tenant's JWKS), issuer, audience, expiry/not-before, tenant.
Every failure is ``InvalidToken`` (a 401), never an exception that becomes a 500.

Anyone can send a token with a made-up key id, so an unknown ``kid`` must not cost a fetch per
token nor hold up other callers: the metadata and the key set are fetched off the event loop,
one fetch at a time shared by all who wait for it, at most one attempt per cool-down, and the
last good copy keeps serving while a refresh runs or after it failed. A token whose key is cached
never waits for a fetch.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import ssl
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

import jwt

log = logging.getLogger(__name__)

T = TypeVar("T")


class InvalidToken(Exception):
    """The bearer token is missing or not acceptable; the message is safe to log, not to return."""


@dataclass(frozen=True)
class Caller:
    user_id: str
    tenant_id: str
    name: str = ""


@dataclass(frozen=True)
class _Metadata:
    issuer: str
    jwks_uri: str


class _CooledFetch(Generic[T]):
    """A value fetched in a worker thread: single-flight, one attempt per cool-down, last good kept.

    ``fetch(forced)`` runs off the event loop; ``forced`` says a caller needs something the current
    value lacks (rather than the value merely having aged past ``ttl_s``).
    """

    def __init__(
        self, what: str, fetch: Callable[[bool], T], ttl_s: float, cooldown_s: float, clock: Callable[[], float]
    ) -> None:
        self._what = what
        self._fetch = fetch
        self._ttl_s = ttl_s
        self._cooldown_s = cooldown_s
        self._clock = clock
        self.value: T | None = None
        self._fetched_at = -math.inf
        self._attempted_at = -math.inf
        self._task: asyncio.Task[None] | None = None

    def current(self) -> T | None:
        """The last good value, at once; an aged one is refreshed in the background."""
        if self._clock() - self._fetched_at > self._ttl_s:
            self._start(forced=False)
        return self.value

    async def refreshed(self) -> T | None:
        """The value after the refresh in flight, or after a new one if the cool-down allows it.

        Within the cool-down of the last attempt this returns the current value without fetching.
        """
        task = self._task or self._start(forced=True)
        if task is not None:
            # shield: a caller that goes away must not cancel the fetch others are waiting for
            await asyncio.shield(task)
        return self.value

    def _start(self, forced: bool) -> asyncio.Task[None] | None:
        if self._task is not None:
            return self._task
        if self._clock() - self._attempted_at < self._cooldown_s:
            return None
        self._attempted_at = self._clock()
        if forced:
            log.info("refreshing %s for a caller that needs more than the cached copy", self._what)
        self._task = asyncio.get_running_loop().create_task(self._run(forced))
        return self._task

    async def _run(self, forced: bool) -> None:
        try:
            value = await asyncio.to_thread(self._fetch, forced)
        except Exception as exc:  # noqa: BLE001 - any failure leaves the last good value in place
            log.warning("fetching %s failed: %s: %s", self._what, type(exc).__name__, exc)
        else:
            self.value = value
            self._fetched_at = self._clock()
        finally:
            self._task = None


def _signing_keys(client: jwt.PyJWKClient, forced: bool) -> dict[str, jwt.PyJWK]:
    # Not client.get_signing_key(kid): it holds a thread lock across the fetch and does its own
    # cool-down on another clock. Unforced, PyJWKClient's cache (same lifespan) decides whether
    # this fetches at all.
    return {key.key_id: key for key in client.get_signing_keys(refresh=forced) if key.key_id}


class EntraTokenValidator:
    """Validates v1/v2 Entra access tokens for one tenant and a set of audiences.

    ``ssl_context`` is used for the metadata and key fetches (``None``: system trust, or a plain
    ``http://`` authority in tests). ``keys_ttl_s`` is the key set's lifespan, ``metadata_ttl_s``
    the metadata's; ``unknown_kid_cooldown_s`` is the least time between two fetch attempts of
    either, so unknown key ids and failures cost at most one fetch per cool-down.
    """

    def __init__(
        self,
        authority_host: str,
        tenant_id: str,
        audiences: list[str],
        ssl_context: ssl.SSLContext | None,
        keys_ttl_s: float = 3600.0,
        *,
        metadata_ttl_s: float = 86400.0,
        unknown_kid_cooldown_s: float = 60.0,
        fetch_timeout_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._metadata_url = f"{authority_host.rstrip('/')}/{tenant_id}/v2.0/.well-known/openid-configuration"
        self._tenant_id = tenant_id.lower()
        self._audiences = audiences
        self._ssl = ssl_context
        self._keys_ttl_s = keys_ttl_s
        self._cooldown_s = unknown_kid_cooldown_s
        self._timeout_s = fetch_timeout_s
        self._clock = clock
        self._metadata = _CooledFetch("OpenID metadata", self._fetch_metadata, metadata_ttl_s, self._cooldown_s, clock)
        self._keys: _CooledFetch[dict[str, jwt.PyJWK]] | None = None
        self._jwks_client: jwt.PyJWKClient | None = None

    def _fetch_metadata(self, forced: bool) -> _Metadata:
        with urllib.request.urlopen(self._metadata_url, timeout=self._timeout_s, context=self._ssl) as response:  # noqa: S310 - URL from settings
            document = json.loads(response.read())
        issuer, jwks_uri = document.get("issuer"), document.get("jwks_uri")
        if not isinstance(issuer, str) or not isinstance(jwks_uri, str):
            raise ValueError("metadata without issuer or jwks_uri")
        if urlsplit(jwks_uri).scheme not in ("https", "http"):
            raise ValueError("jwks_uri is not an http(s) URL")
        return _Metadata(issuer.replace("{tenantid}", self._tenant_id), jwks_uri)

    def _key_set_for(self, jwks_uri: str) -> _CooledFetch[dict[str, jwt.PyJWK]]:
        if self._keys is None or self._jwks_client is None or self._jwks_client.uri != jwks_uri:
            client = jwt.PyJWKClient(
                jwks_uri, cache_jwk_set=True, lifespan=self._keys_ttl_s, timeout=self._timeout_s, ssl_context=self._ssl
            )
            self._jwks_client = client
            self._keys = _CooledFetch(
                "signing keys",
                functools.partial(_signing_keys, client),
                self._keys_ttl_s,
                self._cooldown_s,
                self._clock,
            )
        return self._keys

    async def _key_for(self, kid: str) -> tuple[Any, str]:
        """The public key for ``kid`` and the tenant's issuer, fetching only within the cool-downs."""
        metadata = self._metadata.current() or await self._metadata.refreshed()
        if metadata is None:
            raise InvalidToken("OpenID metadata unavailable")
        key_set = self._key_set_for(metadata.jwks_uri)
        keys = key_set.current() or {}
        if kid not in keys:
            keys = await key_set.refreshed() or {}
        if kid not in keys:
            raise InvalidToken("unknown signing key")
        return keys[kid].key, metadata.issuer

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
        key, issuer = await self._key_for(header["kid"])
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                audience=self._audiences,
                issuer=[issuer, f"https://sts.windows.net/{self._tenant_id}/"],
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
