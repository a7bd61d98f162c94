"""The retrieval quality set: the seed corpus indexed in-process and its questions scored.

Used by ``tests/unit/test_retrieval_quality.py`` (thresholds) and ``bench/retrieval_quality.py``
(the table). The index is built like ``sync`` builds it (extract → chunk → embed), but without
Graph: every chunk gets one shared ACL key so that every question can see every document and
only ranking is measured.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from access import Audience, Principal, tenant_key
from retrieval.chunking import chunk_document
from retrieval.embedding import Embedder
from retrieval.extract import default_registry, media_type_for
from retrieval.index import HybridIndex
from retrieval.types import DocumentRef

SEED = Path(__file__).resolve().parent.parent / "devtenant" / "seed"
MODES = ("dense", "lexical", "hybrid")
LANGUAGES = ("de", "en")
K_CHUNKS = 20  # enough chunks for at least five distinct documents
TENANT = "t"

Metrics = dict[tuple[str, str], tuple[float, float]]
"""(language, mode) → (MRR@5, recall@3), at document level."""


def load_seed() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The dev tenant's manifest and its questions."""
    manifest = json.loads((SEED / "tenant.json").read_text())
    questions = json.loads((SEED / "questions.json").read_text())
    return manifest, questions


def build_seed_index(manifest: dict[str, Any], embedder: Embedder) -> HybridIndex:
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
    vectors = embedder.embed_passages([c.indexed_text for c in chunks])
    return HybridIndex(chunks, vectors, embedder.name)


def quality_metrics(index: HybridIndex, questions: list[dict[str, Any]], embedder: Embedder) -> Metrics:
    audience = Audience.of(Principal(TENANT, "reader"))
    vectors = embedder.embed_queries([q["question"] for q in questions])
    reciprocal: dict[tuple[str, str], list[float]] = {}
    recalled: dict[tuple[str, str], list[bool]] = {}
    for question, vector in zip(questions, vectors, strict=True):
        for mode in MODES:
            hits = index.search(question["question"], vector, audience=audience, k=K_CHUNKS, mode=mode)
            documents = list(dict.fromkeys(h.chunk.doc.item_id for h in hits))
            rank = documents.index(question["expected_item"]) + 1 if question["expected_item"] in documents else None
            key = (question["lang"], mode)
            reciprocal.setdefault(key, []).append(1.0 / rank if rank and rank <= 5 else 0.0)
            recalled.setdefault(key, []).append(bool(rank and rank <= 3))
    return {key: (float(np.mean(reciprocal[key])), float(np.mean(recalled[key]))) for key in reciprocal}
