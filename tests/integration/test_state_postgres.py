"""The state contract tests (tests/unit/test_state_contract.py) against a real PostgreSQL server,
plus what only PostgreSQL has: migrations, a newer schema refused, the outage and the recovery,
and the audit chain written by several writers at once."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from audit import AuditRecord, AuditSettings
from audit.postgres_trail import PostgresAuditTrail, verify_postgres_trail
from state import StateStoreError, StateStores
from state.fallback import FallbackDeliveryGuard
from state.postgres import open_postgres_state
from state.postgres_database import SCHEMA_VERSION, PostgresDatabase
from state.stores import utc_now
from tests.pg_server import PostgresServer
from tests.unit import test_state_contract as contract
from tests.unit.test_state_contract import *  # noqa: F403 - the same tests, run against PostgreSQL

KEY = bytes(range(32))


async def _open_postgres(url: str, **options: Any) -> StateStores:
    opened = open_postgres_state(url, **options)
    await opened.start()
    return opened


def _postgres(server: PostgresServer) -> Callable[[Path], contract.Opener]:
    def opener(tmp_path: Path) -> contract.Opener:
        return functools.partial(_open_postgres, server.new_database())

    return opener


@pytest.fixture(params=["postgresql"])
def opener(request: pytest.FixtureRequest, postgres: PostgresServer, tmp_path: Path) -> contract.Opener:
    """Overrides the contract's ``opener``: each test gets a fresh database on the server."""
    return _postgres(postgres)(tmp_path)


@pytest.mark.asyncio
async def test_the_schema_is_migrated_once_and_a_newer_one_is_refused(postgres: PostgresServer) -> None:
    url = postgres.new_database()
    first, second = await asyncio.gather(_open_postgres(url), _open_postgres(url))
    await first.aclose()
    await second.aclose()
    name = url.rsplit("/", 1)[1]
    assert postgres.psql("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations", name) == (
        ",".join(str(v) for v in range(1, SCHEMA_VERSION + 1))
    )
    postgres.psql(f"INSERT INTO schema_migrations (version) VALUES ({SCHEMA_VERSION + 1})", name)
    with pytest.raises(StateStoreError, match="newer version"):
        await _open_postgres(url)


@pytest.mark.asyncio
async def test_an_unreachable_server_fails_fast_then_recovers_without_a_restart(postgres: PostgresServer) -> None:
    url = postgres.new_database()
    db = PostgresDatabase(url, timeout_s=2.0, probe_interval_s=0.5)
    stores = open_postgres_state(db)
    await stores.start()
    guard = FallbackDeliveryGuard(stores.delivery)
    try:
        await stores.conversations.append("k", contract.exchange(1, utc_now()))
        postgres.stop()
        with pytest.raises(StateStoreError):
            await stores.conversations.history("k")
        assert stores.health()["available"] is False and stores.health()["error"]
        started = asyncio.get_running_loop().time()
        with pytest.raises(StateStoreError, match="unavailable"):
            await stores.feedback.list()
        assert asyncio.get_running_loop().time() - started < 0.5  # no wait on a dead server
        # The delivery guard falls back to this process's memory: still one winner per key here.
        assert await guard.claim("act-1") is True
        assert await guard.claim("act-1") is False
        postgres.start()
        for _ in range(40):
            if stores.health()["available"]:
                break
            await asyncio.sleep(0.25)
        assert stores.health() == {"backend": "postgresql", "available": True}
        assert [t.text for t in await stores.conversations.history("k")] == ["question 1", "answer 1"]
        assert await guard.claim("act-2") is True
        assert await stores.delivery.claim("act-2") is False  # claimed in the database again
    finally:
        if postgres.process is None:
            postgres.start()
        await stores.aclose()


def _record(n: int) -> AuditRecord:
    return AuditRecord("user-1", "personal", f"question {n}", "answered", [], [], "m", 0.1, answer_id=f"a-{n}")


@pytest.mark.asyncio
async def test_one_audit_chain_with_several_writers_and_a_spool_through_an_outage(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    url = postgres.new_database()
    dbs = [PostgresDatabase(url, probe_interval_s=0.5) for _ in range(3)]
    for db in dbs:
        await db.start()
    # Three writers (replicas), each with its own spool directory.
    trails = [PostgresAuditTrail(AuditSettings(tmp_path / f"r{n}", key=KEY), db) for n, db in enumerate(dbs)]
    try:
        await asyncio.gather(*(trails[n % 3].record(_record(n)) for n in range(30)))
        result = await verify_postgres_trail(dbs[0], KEY)
        assert result.ok, result.problems
        assert result.records == 30

        postgres.stop()
        await trails[0].record(_record(100))  # the answer goes on; the record waits
        assert trails[0].pending() == 1
        postgres.start()
        for _ in range(40):
            if dbs[0].health()["available"]:
                break
            await asyncio.sleep(0.25)
        await trails[1].record(_record(101))
        assert await trails[0].flush() == 1 and trails[0].pending() == 0
        result = await verify_postgres_trail(dbs[0], KEY)
        assert result.ok and result.records == 32

        # An edited row is detected.
        name = url.rsplit("/", 1)[1]
        row = json.loads(postgres.psql("SELECT record FROM audit_records WHERE seq = 5", name))
        row["outcome"] = "refused"
        postgres.psql(f"UPDATE audit_records SET record = '{json.dumps(row)}' WHERE seq = 5", name)
        result = await verify_postgres_trail(dbs[0], KEY)
        assert not result.ok and "record 5 was altered" in result.problems[0]
    finally:
        for db in dbs:
            await db.aclose()


@pytest.mark.asyncio
async def test_audit_retention_removes_a_prefix_and_the_chain_still_verifies(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    url = postgres.new_database()
    db = PostgresDatabase(url)
    clock = contract.Clock()
    settings = AuditSettings(tmp_path, key=KEY, retention_days=2)
    try:
        trail = PostgresAuditTrail(settings, db, clock)
        for n in range(3):
            await trail.record(_record(n))
        clock.advance(days=5)
        later = PostgresAuditTrail(settings, db, clock)  # a new day: retention runs once
        await later.record(_record(3))
        result = await verify_postgres_trail(db, KEY)
        assert result.ok, result.problems
        assert result.records == 2  # the retention record and record 3
    finally:
        await db.aclose()
