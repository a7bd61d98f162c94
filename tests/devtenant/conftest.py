"""Fixtures: one dev tenant server per test module, reset before each test that uses it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.devtenant.support import DOCS, MANIFEST, admin, start_server, stop_server


@pytest.fixture(scope="module")
def seed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    seed = tmp_path_factory.mktemp("seed")
    (seed / "docs").mkdir()
    for name, data in DOCS.items():
        (seed / "docs" / name).write_bytes(data)
    (seed / "tenant.json").write_text(json.dumps(MANIFEST), encoding="utf-8")
    return seed


@pytest.fixture(scope="module")
def tenant(tmp_path_factory: pytest.TempPathFactory, seed_dir: Path) -> Iterator[dict[str, Any]]:
    state = tmp_path_factory.mktemp("state")
    proc, info = start_server(state, seed_dir, "--parent-pid", str(os.getpid()))
    yield info
    assert stop_server(proc) == 0


@pytest.fixture(autouse=True)
def fresh(request: pytest.FixtureRequest) -> None:
    if "tenant" in request.fixturenames:
        admin(request.getfixturevalue("tenant"), "POST", "/reset")
