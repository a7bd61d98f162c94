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
