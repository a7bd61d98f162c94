"""Which state backend the settings choose, DATABASE_URL's checks, and the delivery guard's
fallback while the shared database is away (no server: the failing guard is a real object that
raises as the PostgreSQL guard does when its database is unavailable)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from composition import build_audit_trail, build_state
from settings import Settings
from state import StateStoreError
from state.fallback import FallbackDeliveryGuard, MemoryDeliveryGuard
from state.postgres import PostgresDeliveryGuard
from state.postgres_database import PostgresDatabase
from tests.unit.conftest import ALIASES
from tests.unit.test_state_contract import Clock

KEY = "ab" * 32


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment with none of the assistant's variables set."""
    for name in ALIASES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_without_database_url_the_state_is_sqlite_in_data_dir(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.setenv("DATA_DIR", str(tmp_path))
    state, db = build_state(Settings())
    assert db is None and state.health() == {"backend": "sqlite", "available": True}
    assert (tmp_path / "state" / "state.sqlite3").exists()


def test_database_url_chooses_postgresql_and_the_shared_audit_chain(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.setenv("DATA_DIR", str(tmp_path))
    env.setenv("DATABASE_URL", "postgresql://u:secret-pw@127.0.0.1:1/db")
    env.setenv("AUDIT_KEY", KEY)
    settings = Settings()
    assert "secret-pw" not in repr(settings)
    state, db = build_state(settings)
    assert isinstance(db, PostgresDatabase)  # nothing connected yet: that is StateStores.start()
    assert state.health()["backend"] == "postgresql" and state.health()["available"] is False
    assert type(build_audit_trail(settings, db)).__name__ == "PostgresAuditTrail"


def test_database_url_must_be_postgresql_and_needs_an_audit_key(env: pytest.MonkeyPatch) -> None:
    env.setenv("DATABASE_URL", "mysql://u:secret-pw@db/x")
    with pytest.raises(ValidationError) as info:
        Settings()
    assert "postgresql://" in str(info.value) and "AUDIT_KEY" in str(info.value)
    assert "secret-pw" not in str(info.value)
    env.setenv("DATABASE_URL", "postgresql://u@db/x")
    env.setenv("AUDIT_LEVEL", "none")
    assert Settings().database_url is not None  # no audit, no key needed


class DownGuard:
    """A shared guard whose database is away: every call raises ``StateStoreError``."""

    def __init__(self) -> None:
        self.calls = 0

    async def _fail(self, key: str) -> bool:
        self.calls += 1
        raise StateStoreError("PostgreSQL state database unavailable")

    claim = _fail

    async def release(self, key: str) -> None:
        await self._fail(key)

    async def done(self, key: str) -> None:
        await self._fail(key)


@pytest.mark.asyncio
async def test_the_guard_falls_back_to_memory_while_the_database_is_away() -> None:
    shared = DownGuard()
    guard = FallbackDeliveryGuard(shared)
    assert await guard.claim("act-1") is True
    assert await guard.claim("act-1") is False  # a redelivery to this replica is still caught
    await guard.release("act-1")
    assert await guard.claim("act-1") is True  # a failed turn may be tried again
    await guard.done("act-1")
    await guard.release("act-1")
    assert await guard.claim("act-1") is False
    with pytest.raises(ValueError):
        await guard.claim("")
    assert shared.calls == 6  # every claim (5) asked the shared guard first; a release after done too


@pytest.mark.asyncio
async def test_release_and_done_on_a_shared_claim_survive_an_outage() -> None:
    guard = FallbackDeliveryGuard(DownGuard())
    await guard.release("claimed-in-the-database")  # logged, not raised: the turn is over
    await guard.done("claimed-in-the-database")


@pytest.mark.asyncio
async def test_memory_claims_expire_and_stay_bounded() -> None:
    clock = Clock()
    guard = MemoryDeliveryGuard(timedelta(minutes=30), clock, max_keys=3)
    assert await guard.claim("a")
    clock.advance(minutes=31)
    assert await guard.claim("a") is True
    for key in ("b", "c", "d"):
        assert await guard.claim(key)
    assert await guard.claim("a") is True  # the oldest was evicted to stay within max_keys


def test_the_postgres_guard_refuses_a_non_positive_ttl() -> None:
    with pytest.raises(ValueError):
        PostgresDeliveryGuard(PostgresDatabase("postgresql://x@127.0.0.1:1/x"), timedelta(0))
