"""Shared test data: the seed manifest, questions and secrets of the dev tenant."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "devtenant" / "seed"


@pytest.fixture(scope="session")
def manifest() -> dict[str, Any]:
    return dict(json.loads((SEED / "tenant.json").read_text()))


@pytest.fixture(scope="session")
def questions() -> list[dict[str, Any]]:
    return list(json.loads((SEED / "questions.json").read_text()))


@pytest.fixture(scope="session")
def secrets() -> list[dict[str, Any]]:
    return list(json.loads((SEED / "secrets.json").read_text()))


@pytest.fixture(scope="session")
def users(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {u["userPrincipalName"]: u for u in manifest["users"]}


_TIERS = {"unit": "unit", "inprocess": "unit", "integration": "integration", "devtenant": "integration"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier from its folder: ``unit`` (tests/unit, tests/inprocess: no
    processes, fast) or ``integration`` (real local servers). ``slow`` is set per module."""
    for item in items:
        parts = Path(str(item.path)).relative_to(REPO / "tests").parts
        tier = _TIERS.get(parts[0]) if len(parts) > 1 else None
        if tier is not None:
            item.add_marker(getattr(pytest.mark, tier))
