"""Entra signing keys against a real local identity provider: unknown key ids cannot stall /api/ask.

A small aiohttp server on loopback serves the OpenID metadata and a JWKS for RSA keys made here,
counts the requests per path and can delay or fail them. The validator's clock is injected, so
cool-downs pass without waiting for them."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.entra_auth import Caller, EntraTokenValidator, InvalidToken

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "00000000-0000-0000-0000-00000000a5c0"
METADATA_PATH = f"/{TENANT}/v2.0/.well-known/openid-configuration"
JWKS_PATH = f"/{TENANT}/discovery/v2.0/keys"
JWKS_DELAY_S = 0.5
COOLDOWN_S = 60.0


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))

    def jwk(self) -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}


@dataclass
class IdentityProvider:
    """The two endpoints the validator reads, with knobs for the failures it must survive."""

    keys: list[SigningKey]
    url: str = ""
    requests: Counter[str] = field(default_factory=Counter)
    jwks_delay_s: float = 0.0
    jwks_answered_at: list[float] = field(default_factory=list)
    metadata_status: int = 200
    jwks_uri: str | None = None
    jwks_status: int = 200

    async def metadata(self, request: web.Request) -> web.Response:
        self.requests[request.path] += 1
        if self.metadata_status != 200:
            return web.Response(status=self.metadata_status)
        jwks_uri = self.jwks_uri or f"{self.url}{JWKS_PATH}"
        return web.json_response({"issuer": f"{self.url}/{{tenantid}}/v2.0", "jwks_uri": jwks_uri})

    async def jwks(self, request: web.Request) -> web.Response:
        self.requests[request.path] += 1
        await asyncio.sleep(self.jwks_delay_s)
        self.jwks_answered_at.append(time.perf_counter())
        if self.jwks_status != 200:
            return web.Response(status=self.jwks_status)
        return web.json_response({"keys": [key.jwk() for key in self.keys]})

    def token(self, key: SigningKey | None = None, kid: str | None = None, **overrides: Any) -> str:
        key = key or self.keys[0]
        now = int(time.time())
        claims = {
            "iss": f"{self.url}/{TENANT}/v2.0",
            "aud": f"api://{CLIENT_ID}",
            "tid": TENANT,
            "oid": "0b0b0b0b-0000-0000-0000-00000000a11a",
            "name": "Anna Schmidt",
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            **overrides,
        }
        claims = {name: value for name, value in claims.items() if value is not None}
        return "Bearer " + jwt.encode(claims, key.private, algorithm="RS256", headers={"kid": kid or key.kid})


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest_asyncio.fixture
async def idp() -> AsyncIterator[IdentityProvider]:
    provider = IdentityProvider(keys=[SigningKey("key-a")])
    app = web.Application()
    app.router.add_get(METADATA_PATH, provider.metadata)
    app.router.add_get(JWKS_PATH, provider.jwks)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    provider.url = str(server.make_url("")).rstrip("/")
    try:
        yield provider
    finally:
        await server.close()


def validator_for(idp: IdentityProvider, clock: FakeClock, **options: Any) -> EntraTokenValidator:
    return EntraTokenValidator(
        idp.url,
        TENANT,
        audiences=[CLIENT_ID, f"api://{CLIENT_ID}"],
        ssl_context=None,
        unknown_kid_cooldown_s=options.pop("cooldown_s", COOLDOWN_S),
        clock=clock,
        **options,
    )


async def _outcome(validator: EntraTokenValidator, token: str) -> tuple[Caller | InvalidToken, float, float]:
    """What validate() gave, how long it took, and when it finished."""
    started = time.perf_counter()
    try:
        result: Caller | InvalidToken = await validator.validate(token)
    except InvalidToken as exc:
        result = exc
    done = time.perf_counter()
    return result, done - started, done


@pytest.mark.asyncio
async def test_a_burst_of_unknown_kids_costs_one_fetch_and_valid_callers_never_wait(idp: IdentityProvider) -> None:
    clock = FakeClock()
    validator = validator_for(idp, clock)
    assert isinstance(await validator.validate(idp.token()), Caller)
    assert idp.requests == {METADATA_PATH: 1, JWKS_PATH: 1}

    clock.now += COOLDOWN_S + 1  # the burst may cause one refresh, and that one is slow
    idp.jwks_delay_s = JWKS_DELAY_S

    valid_token = idp.token()
    random_kid_tokens = [idp.token(kid=uuid.uuid4().hex) for _ in range(400)]

    async def valid_caller(index: int) -> tuple[Caller | InvalidToken, float, float]:
        await asyncio.sleep(0.05 + index * 0.004)  # spread over the time the refresh is in flight
        return await _outcome(validator, valid_token)

    burst_started = time.perf_counter()
    bad = [asyncio.create_task(_outcome(validator, token)) for token in random_kid_tokens[:200]]
    good = [asyncio.create_task(valid_caller(i)) for i in range(50)]
    bad_results = await asyncio.gather(*bad)
    good_results = await asyncio.gather(*good)

    assert all(isinstance(result, InvalidToken) for result, _, _ in bad_results)
    assert all(isinstance(result, Caller) for result, _, _ in good_results)
    assert idp.requests[JWKS_PATH] == 2, "one refresh for the whole burst"
    assert idp.requests[METADATA_PATH] == 1
    refresh_answered = idp.jwks_answered_at[-1]
    assert all(done < refresh_answered for _, _, done in good_results), "a valid caller waited for the refresh"
    worst_valid = max(latency for _, latency, _ in good_results)
    assert worst_valid < JWKS_DELAY_S / 2
    burst_s = max(done for _, _, done in bad_results) - burst_started

    # Still within the cool-down: unknown kids are refused at once, without a fetch. The IdP stays
    # slow, so waiting for a fetch would cost its whole delay; 200 refusals take ~10 ms here, and
    # 0.3 s on a busy 2-core machine (which missed the earlier bound of half the delay).
    again_started = time.perf_counter()
    again = await asyncio.gather(*(_outcome(validator, token) for token in random_kid_tokens[200:]))
    again_s = time.perf_counter() - again_started
    assert all(isinstance(result, InvalidToken) for result, _, _ in again)
    assert idp.requests[JWKS_PATH] == 2
    assert again_s < JWKS_DELAY_S
    print(
        f"\nburst: 200 unknown kids + 50 valid -> JWKS fetches {idp.requests[JWKS_PATH] - 1} (after the initial one);"
        f" valid worst {worst_valid * 1000:.1f} ms, median"
        f" {sorted(latency for _, latency, _ in good_results)[25] * 1000:.2f} ms;"
        f" burst answered in {burst_s * 1000:.0f} ms (refresh delayed {JWKS_DELAY_S * 1000:.0f} ms);"
        f" 200 more unknown kids within the cool-down: {again_s * 1000:.1f} ms, 0 fetches"
    )


@pytest.mark.asyncio
async def test_a_rotated_key_is_accepted_after_one_refresh_once_the_cooldown_allows(idp: IdentityProvider) -> None:
    clock = FakeClock()
    validator = validator_for(idp, clock)
    assert isinstance(await validator.validate(idp.token()), Caller)
    new_key = SigningKey("key-b")
    idp.keys.append(new_key)

    with pytest.raises(InvalidToken, match="unknown signing key"):
        await validator.validate(idp.token(new_key))
    assert idp.requests[JWKS_PATH] == 1, "within the cool-down of the first fetch: no refresh"

    clock.now += COOLDOWN_S
    caller = await validator.validate(idp.token(new_key))
    assert caller == Caller(user_id="0b0b0b0b-0000-0000-0000-00000000a11a", tenant_id=TENANT, name="Anna Schmidt")
    assert isinstance(await validator.validate(idp.token()), Caller)
    assert idp.requests[JWKS_PATH] == 2
    with pytest.raises(InvalidToken):
        await validator.validate(idp.token(kid="key-c"))
    assert idp.requests[JWKS_PATH] == 2


@pytest.mark.asyncio
async def test_a_new_key_arriving_during_a_refresh_shares_it(idp: IdentityProvider) -> None:
    """An attacker's refresh in flight is the one a genuinely new key waits for, not a reason to refuse it."""
    clock = FakeClock()
    validator = validator_for(idp, clock)
    assert isinstance(await validator.validate(idp.token()), Caller)
    new_key = SigningKey("key-b")
    idp.keys.append(new_key)
    clock.now += COOLDOWN_S
    idp.jwks_delay_s = JWKS_DELAY_S

    made_up = asyncio.create_task(_outcome(validator, idp.token(kid="made-up")))
    await asyncio.sleep(0.1)
    rotated, _, _ = await _outcome(validator, idp.token(new_key))
    assert isinstance(rotated, Caller)
    assert isinstance((await made_up)[0], InvalidToken)
    assert idp.requests[JWKS_PATH] == 2


@pytest.mark.asyncio
async def test_metadata_down_is_invalid_token_and_retried_once_per_cooldown(idp: IdentityProvider) -> None:
    clock = FakeClock()
    validator = validator_for(idp, clock)
    idp.metadata_status = 503
    for _ in range(3):
        with pytest.raises(InvalidToken, match="metadata unavailable"):
            await validator.validate(idp.token())
    assert idp.requests == {METADATA_PATH: 1}

    idp.metadata_status = 200
    clock.now += COOLDOWN_S
    assert isinstance(await validator.validate(idp.token()), Caller)
    assert idp.requests == {METADATA_PATH: 2, JWKS_PATH: 1}


@pytest.mark.asyncio
async def test_an_unreachable_authority_is_invalid_token() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    idp = IdentityProvider(keys=[SigningKey("key-a")], url=f"http://127.0.0.1:{port}")
    validator = EntraTokenValidator(idp.url, TENANT, audiences=[CLIENT_ID], ssl_context=None, fetch_timeout_s=2)
    with pytest.raises(InvalidToken, match="metadata unavailable"):
        await validator.validate(idp.token())


@pytest.mark.asyncio
async def test_metadata_pointing_at_a_local_file_is_invalid_token(idp: IdentityProvider) -> None:
    idp.jwks_uri = "file:///etc/passwd"
    with pytest.raises(InvalidToken, match="metadata unavailable"):
        await validator_for(idp, FakeClock()).validate(idp.token())
    assert JWKS_PATH not in idp.requests


@pytest.mark.asyncio
async def test_jwks_down_is_invalid_token_and_cached_keys_keep_working(idp: IdentityProvider) -> None:
    clock = FakeClock()
    idp.jwks_status = 500
    validator = validator_for(idp, clock)
    with pytest.raises(InvalidToken, match="unknown signing key"):
        await validator.validate(idp.token())
    with pytest.raises(InvalidToken):
        await validator.validate(idp.token())
    assert idp.requests[JWKS_PATH] == 1, "a failed fetch is retried only after the cool-down"

    idp.jwks_status = 200
    clock.now += COOLDOWN_S
    assert isinstance(await validator.validate(idp.token()), Caller)

    idp.jwks_status = 500
    clock.now += COOLDOWN_S
    with pytest.raises(InvalidToken):
        await validator.validate(idp.token(kid="made-up"))  # triggers a refresh, which fails
    assert idp.requests[JWKS_PATH] == 3
    assert isinstance(await validator.validate(idp.token()), Caller), "the last good key set still serves"


@pytest.mark.asyncio
async def test_aged_keys_are_refreshed_in_the_background_and_a_removed_key_stops_working(
    idp: IdentityProvider,
) -> None:
    # Real time here: PyJWKClient's own cache ages by the real monotonic clock.
    validator = EntraTokenValidator(
        idp.url, TENANT, audiences=[CLIENT_ID], ssl_context=None, keys_ttl_s=0.3, unknown_kid_cooldown_s=0.1
    )
    old_key, new_key = idp.keys[0], SigningKey("key-b")
    old_token = idp.token(aud=CLIENT_ID)
    assert isinstance(await validator.validate(old_token), Caller)
    idp.keys[:] = [new_key]
    await asyncio.sleep(0.35)

    idp.jwks_delay_s = JWKS_DELAY_S
    result, latency, _ = await _outcome(validator, old_token)
    assert isinstance(result, Caller) and latency < JWKS_DELAY_S / 2, "aged keys serve while the refresh runs"
    for _ in range(100):
        if idp.requests[JWKS_PATH] == 2 and len(idp.jwks_answered_at) == 2:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)
    assert idp.requests[JWKS_PATH] == 2
    with pytest.raises(InvalidToken, match="unknown signing key"):
        await validator.validate(idp.token(old_key, aud=CLIENT_ID))
    assert isinstance(await validator.validate(idp.token(new_key, aud=CLIENT_ID)), Caller)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("make", "accepted"),
    [
        pytest.param(lambda idp: idp.token(iss=f"https://sts.windows.net/{TENANT}/"), True, id="v1-issuer"),
        pytest.param(lambda idp: idp.token(aud=CLIENT_ID), True, id="bare-client-id-audience"),
        pytest.param(lambda idp: idp.token(iss="https://login.example.com/evil/v2.0"), False, id="wrong-issuer"),
        pytest.param(lambda idp: idp.token(aud="api://another-app"), False, id="wrong-audience"),
        pytest.param(lambda idp: idp.token(tid="00000000-0000-0000-0000-000000000bad"), False, id="wrong-tenant"),
        pytest.param(lambda idp: idp.token(oid=None), False, id="no-oid"),
        pytest.param(lambda idp: idp.token(exp=int(time.time()) - 120), False, id="expired"),
        pytest.param(lambda idp: idp.token(exp=int(time.time()) - 30), True, id="expired-within-leeway"),
        pytest.param(lambda idp: idp.token(nbf=int(time.time()) + 3600), False, id="not-yet-valid"),
        pytest.param(lambda idp: idp.token(iat=None), False, id="no-iat"),
        pytest.param(
            lambda idp: "Bearer " + jwt.encode({"tid": TENANT}, "k" * 32, algorithm="HS256", headers={"kid": "key-a"}),
            False,
            id="hs256",
        ),
        pytest.param(
            lambda idp: "Bearer " + jwt.encode({"tid": TENANT}, idp.keys[0].private, algorithm="RS256"),
            False,
            id="no-kid",
        ),
    ],
)
async def test_every_claim_check_still_applies(idp: IdentityProvider, make: Any, accepted: bool) -> None:
    validator = validator_for(idp, FakeClock())
    result, _, _ = await _outcome(validator, make(idp))
    assert isinstance(result, Caller) is accepted, result
