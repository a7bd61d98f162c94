"""The GPU path of the dense search (``INDEX_DEVICE=cuda``, or ``auto`` with a CUDA device).

The segment's vectors are held on the GPU in float16 (2 bytes per dimension: 0.77 GB per million
384-dimensional chunks). A query scores *every* row in one matrix-vector product, which on a GPU
costs well under a millisecond per million rows, sets the non-permitted rows to minus infinity and
takes the top candidates; those are re-ranked exactly in float32 on the CPU (``DenseSegment``).
This is exact filtered search, so recall does not depend on selectivity, and the filter is applied
before the top-k, never after. torch is already a dependency (sentence-transformers); on a CUDA
build of torch nothing else is needed.

Unverified on real hardware in the session that wrote it: ``bench/gpu_check.sh`` runs the
filtered-search benchmark with ``INDEX_DEVICE=cuda`` on a machine that has one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

CHUNK_ROWS = 1 << 20
"""Vectors are copied to the GPU this many rows at a time (the float32 source may be a memory map)."""


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def resolve_device(setting: str) -> str:
    """``auto`` → ``cuda`` when torch sees a CUDA device, else ``cpu``; ``cuda`` without one fails."""
    if setting == "auto":
        return "cuda" if cuda_available() else "cpu"
    if setting == "cuda" and not cuda_available():
        raise RuntimeError("INDEX_DEVICE=cuda but torch sees no CUDA device (install a CUDA build of torch)")
    return setting


class TorchExactScorer:
    """Exact filtered top-k on a CUDA device."""

    def __init__(self, vectors: np.ndarray, device: str = "cuda") -> None:
        import torch

        self._torch: Any = torch
        self._device = torch.device(device)
        size, dim = vectors.shape
        self._vectors = torch.empty((size, dim), dtype=torch.float16, device=self._device)
        for start in range(0, size, CHUNK_ROWS):
            block = np.ascontiguousarray(vectors[start : start + CHUNK_ROWS], dtype=np.float32)
            self._vectors[start : start + block.shape[0]] = torch.from_numpy(block).to(self._device).half()

    def top_rows(self, query: np.ndarray, permitted: np.ndarray, want: int) -> np.ndarray:
        """The ``want`` best permitted rows (sorted by row), by float16 similarity."""
        torch = self._torch
        with torch.inference_mode():
            q = torch.from_numpy(np.ascontiguousarray(query, dtype=np.float32)).to(self._device).half()
            mask = torch.from_numpy(np.ascontiguousarray(permitted)).to(self._device, non_blocking=True)
            scores = (self._vectors @ q).float()
            scores.masked_fill_(~mask, float("-inf"))
            top = torch.topk(scores, min(want, int(scores.shape[0]))).indices
            rows = top[torch.isfinite(scores[top])].cpu().numpy()
        return np.sort(rows.astype(np.int64))
