"""The answer pipeline: permitted retrieval → prompt → streamed LLM answer → citations.

``AnswerService`` knows nothing about channels. It is given a question, the audience whose
permissions apply, and a language hint, and yields text deltas followed by one final ``Answer``.
It never raises for expected trouble (no index, nothing permitted matches, LLM down): those
become polite answers with an ``outcome`` code the caller can log and test.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Callable

import numpy as np

from access import Audience, CurrentPermissions, PermissionCheckUnavailable
from answering import messages
from answering.answer import Answer, AnswerEvent, Outcome, TextDelta, Withheld, WithheldReason
from answering.checked_stream import CheckedStream
from answering.citations import MARKER, Citation, resolve_citations
from answering.extractive import Extract, SentenceSelector, present
from answering.facts import extract_facts
from answering.grounding import Asked, Check, GroundingCheck, asked_kind, has_kind
from answering.language import clear_language, detect_language
from answering.model import ChatModel
from answering.model_stream import ModelFailed, StreamFilter, model_deltas
from answering.neighbours import NEIGHBOURS_OF, chunks_around
from answering.prompts import SourceDocument, build_messages, group_sources
from observability import StageMetrics
from retrieval.embedding import Embedder
from retrieval.index import HybridIndex, RelevanceGate
from retrieval.query_batching import QueryBatcher
from retrieval.types import DocumentRef, Hit

log = logging.getLogger(__name__)

QueryVector = np.ndarray

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


MIN_SUPPORT = 0.5
"""The share of the question's terms the permitted passages must contain (``question_support``)."""

MAX_RECHECK_ROUNDS = 3
"""Retrieval rounds when the answer-time check drops documents; after that nothing is used."""


def normalise_question(question: str) -> str:
    """Strip control characters and collapse whitespace."""
    return " ".join(_CONTROL.sub(" ", question).split())


class AnswerService:
    """Answers questions from the permitted part of the index."""

    def __init__(
        self,
        index: Callable[[], HybridIndex | None],
        embedder: Embedder,
        llm: ChatModel,
        top_k: int = 4,
        max_question_chars: int = 2000,
        gate: RelevanceGate | None = None,
        permissions: CurrentPermissions | None = None,
        stages: StageMetrics | None = None,
        prompt_style: str = "default",
        min_support: float = MIN_SUPPORT,
        strategy: str = "generate",
    ) -> None:
        self._index = index
        self._stages = stages
        self._embedder = embedder
        self._queries = QueryBatcher(embedder)
        self._llm = llm
        self._top_k = top_k
        self._max_chars = max_question_chars
        self._gate = gate or RelevanceGate()
        self._permissions = permissions
        self._selector = SentenceSelector(embedder)
        self._prompt_style = prompt_style
        self._min_support = min_support
        self._strategy = strategy

    @property
    def model_name(self) -> str:
        return self._llm.name

    async def search(
        self,
        query: str,
        *,
        audience: Audience,
        k: int | None = None,
        exclude: frozenset[tuple[str, str]] = frozenset(),
        vector: QueryVector | None = None,
        site: str | None = None,
    ) -> list[Hit]:
        """Ranked permitted chunks (no LLM). Raises ``LookupError`` when there is no index yet.

        ``vector``: the query's embedding from ``embed_query``, when the caller searches the same
        question for several audiences. ``site``: only that site's chunks (still permitted ones).
        """
        index = self._index()
        if index is None:
            raise LookupError("no index snapshot loaded")
        query = normalise_question(query)[: self._max_chars]
        if not query:
            return []
        started = time.perf_counter()
        if vector is None:
            vector = await self._embed(query)
        wanted = k or self._top_k
        hits = index.search(query, vector, audience=audience, k=CROSS_LINGUAL_POOL * wanted, exclude=exclude, site=site)
        self._observe("retrieval", started)
        return _with_other_language(query, hits, wanted)

    async def embed_query(self, query: str) -> QueryVector:
        """The embedding ``search`` would compute for ``query``."""
        started = time.perf_counter()
        vector = await self._embed(normalise_question(query)[: self._max_chars])
        self._observe("retrieval", started)
        return vector

    async def _embed(self, query: str) -> QueryVector:
        return await self._queries.embed(query)

    def _observe(self, stage: str, started: float) -> None:
        if self._stages is not None:
            self._stages.observe(stage, time.perf_counter() - started)

    async def matches(
        self,
        question: str,
        *,
        audience: Audience,
        exclude: frozenset[tuple[str, str]] = frozenset(),
        vector: QueryVector | None = None,
        site: str | None = None,
    ) -> list[Hit]:
        """The permitted hits that pass the relevance gate (what an answer would be drawn from)."""
        hits = await self.search(question, audience=audience, exclude=exclude, vector=vector, site=site)
        return [h for h in hits if self._gate.passes(h)]

    async def revoked(self, hits: list[Hit], audience: Audience) -> list[DocumentRef]:
        """Documents among ``hits`` that not every audience member may read *now* (answer-time check).

        Raises ``PermissionCheckUnavailable`` when the source cannot be asked.
        """
        if self._permissions is None:
            return []
        docs = {(h.chunk.doc.drive_id, h.chunk.doc.item_id): h.chunk.doc for h in hits}
        checker = self._permissions
        started = time.perf_counter()
        try:
            acls = await asyncio.gather(*(checker.current_acl(drive, item) for drive, item in docs))
        finally:
            self._observe("permission_check", started)
        return [doc for doc, acl in zip(docs.values(), acls, strict=True) if not audience.can_read(acl)]

    async def _checked_matches(
        self, question: str, audience: Audience, vector: QueryVector | None, site: str | None = None
    ) -> tuple[list[Hit], list[Withheld]]:
        """Gated hits whose documents every audience member may still read; revoked ones are
        excluded and retrieval runs again without them."""
        exclude: frozenset[tuple[str, str]] = frozenset()
        withheld: list[Withheld] = []
        for _ in range(MAX_RECHECK_ROUNDS):
            hits = await self.matches(question, audience=audience, exclude=exclude, vector=vector, site=site)
            dropped = await self.revoked(hits, audience)
            if not dropped:
                return hits, withheld
            log.info("answer-time check withheld %d revoked document(s)", len(dropped))
            withheld.extend(Withheld(doc, WithheldReason.REVOKED) for doc in dropped)
            exclude = exclude | {(d.drive_id, d.item_id) for d in dropped}
        return [], withheld

    async def stream(
        self,
        question: str,
        *,
        audience: Audience,
        language_hint: str | None = None,
        vector: QueryVector | None = None,
        site: str | None = None,
    ) -> AsyncIterator[AnswerEvent]:
        started = time.perf_counter()
        question = normalise_question(question)
        language = detect_language(question, language_hint)

        withheld: list[Withheld] = []

        def final(
            text: str,
            outcome: Outcome,
            citations: list[Citation] | None = None,
            hits: list[Hit] | None = None,
            grounding: str = "",
            extractive: bool = False,
        ) -> Answer:
            return Answer(
                text=text,
                citations=citations or [],
                language=language,
                outcome=outcome,
                model=self._llm.name if outcome is Outcome.ANSWERED and not extractive else "",
                retrieved=hits or [],
                latency_s=time.perf_counter() - started,
                withheld=tuple(withheld),
                grounding=grounding,
                extractive=extractive,
            )

        if not question:
            yield final(messages.text("empty", language), Outcome.EMPTY)
            return
        if len(question) > self._max_chars:
            yield final(
                messages.text("too_long", language, length=len(question), limit=self._max_chars), Outcome.TOO_LONG
            )
            return
        try:
            if vector is None:
                vector = await self.embed_query(question)
            hits, withheld = await self._checked_matches(question, audience, vector, site)
        except LookupError:
            yield final(messages.text("no_index", language), Outcome.NO_INDEX)
            return
        except PermissionCheckUnavailable:
            yield final(messages.text("permission_check_down", language), Outcome.PERMISSION_CHECK_DOWN)
            return
        if not hits:
            yield final(messages.text("no_match", language), Outcome.NO_MATCH)
            return
        support = self._selector.support(question, hits)
        if support < self._min_support:
            bridged = await self._selector.bridged_support(question, hits)
            if bridged is not None:
                log.info("cross-lingual question: %.0f%% of its words found through the embedder", 100 * bridged)
                support = bridged
        if support < self._min_support:
            log.info("the passages hold %.0f%% of the question's terms: nothing found", 100 * support)
            yield final(messages.text("no_match", language), Outcome.NO_MATCH, grounding=Check.UNSUPPORTED)
            return
        sources = group_sources(hits)
        if self._strategy == "extract_first":
            read = self._with_neighbours(hits, audience)
            chosen = await self._selector.select(question, vector, group_sources(read))
            extract = self._extract_text(question, chosen, language)
            if extract is not None:
                text, citations = resolve_citations(extract, group_sources(read))
                yield TextDelta(text)
                yield final(text, Outcome.ANSWERED, citations, read, grounding=Check.EXTRACTED, extractive=True)
                return
            if asked_kind(question) is not Asked.OTHER or (chosen is not None and chosen.near_topic):
                # a number, date or name that no sentence of the passages gives is not taken from
                # a small model either: grounded-looking but wrong (docs/answer-quality.md); nor is
                # the asked thing when no passage names it
                yield final(
                    messages.text("no_match", language), Outcome.NO_MATCH, hits=hits, grounding=Check.NO_EXTRACT
                )
                return
        prompt = build_messages(question, sources, language, self._prompt_style)
        stream_filter = StreamFilter(valid_numbers={src.number for src in sources})
        checked = CheckedStream(GroundingCheck(question, sources))
        asked, first_token = time.perf_counter(), True
        try:
            async with contextlib.aclosing(model_deltas(self._llm, prompt)) as deltas:
                async for delta in deltas:
                    if first_token:
                        self._observe("first_token", asked)
                        first_token = False
                    visible = checked.feed(stream_filter.feed(delta))
                    if visible:
                        yield TextDelta(visible)
                    if checked.done:
                        break
        except ModelFailed:
            if checked.released:
                yield final(messages.text("llm_down", language), Outcome.LLM_DOWN, hits=hits, grounding=Check.LLM_DOWN)
                return
            extract = await self._extract(question, vector, sources, language)
            if extract is None:
                yield final(messages.text("llm_down", language), Outcome.LLM_DOWN, hits=hits, grounding=Check.LLM_DOWN)
                return
            text, citations = resolve_citations(messages.text("llm_down_extract", language, extract=extract), sources)
            yield final(text, Outcome.LLM_DOWN, citations, hits, grounding=Check.LLM_DOWN, extractive=True)
            return
        self._observe("generation", asked)
        tail = checked.feed(stream_filter.flush()) + checked.finish()
        verdict = checked.verdict or Check.EMPTY
        if checked.failed or not checked.released.strip():
            log.info(
                "answer check: %s (ungrounded: %s); answering from the passages",
                verdict,
                ", ".join(sorted({f.kind for f in checked.ungrounded})) or "-",
            )
            extract = await self._extract(question, vector, sources, language)
            if extract is None:
                yield final(messages.text("no_match", language), Outcome.NO_MATCH, hits=hits, grounding=verdict)
                return
            text, citations = resolve_citations(extract, sources)
            yield TextDelta(text)
            yield final(text, Outcome.ANSWERED, citations, hits, grounding=verdict, extractive=True)
            return
        if verdict is Check.TRUNCATED:
            log.info("answer check: truncated before an ungrounded sentence")
        generated = checked.released
        text, citations = resolve_citations(_cite_uncited(generated, checked, sources), sources)
        suffix = text[len(generated.strip()) :]
        if tail or suffix:
            yield TextDelta(tail + suffix)
        yield final(text, Outcome.ANSWERED, citations, hits, grounding=verdict)

    async def _extract(
        self, question: str, vector: QueryVector | None, sources: list[SourceDocument], language: str
    ) -> str | None:
        """The extractive answer text, or ``None`` when no sentence answers the question well enough."""
        return self._extract_text(question, await self._selector.select(question, vector, sources), language)

    def _with_neighbours(self, hits: list[Hit], audience: Audience) -> list[Hit]:
        """``hits`` and the permitted chunks next to them (``chunks_around``): what the extract reads.
        Same documents, so ``group_sources`` numbers them as it numbers ``hits``."""
        index = self._index()
        return hits if index is None else [*hits, *chunks_around(index, hits, audience, NEIGHBOURS_OF)]

    @staticmethod
    def _extract_text(question: str, extract: Extract | None, language: str) -> str | None:
        if extract is None:
            return None
        asked = asked_kind(question)
        has = has_kind(extract_facts(" ".join(extract.sentences)), asked)
        log.info(
            "extract: coverage %.2f, dense %.3f, asked %s %s",
            extract.coverage,
            extract.dense,
            asked,
            "present" if has else "missing",
        )
        if not extract.answers or not has:
            return None  # it does not answer, or asked for a number, date or person and names none
        return present(extract, language)

    async def answer(
        self,
        question: str,
        *,
        audience: Audience,
        language_hint: str | None = None,
        vector: QueryVector | None = None,
    ) -> Answer:
        """The final answer only (shared rooms, the CLI and tests)."""
        async for event in self.stream(question, audience=audience, language_hint=language_hint, vector=vector):
            if isinstance(event, Answer):
                return event
        raise RuntimeError("answer stream ended without an answer")


CROSS_LINGUAL_POOL = 3
"""The search fetches this many times the wanted hits, for ``_with_other_language`` to look in.
3 instead of 2 found the German passage of one more English question of the answer set
("Which clearing account …", ranked 7th-9th; English facts 0.862 -> 0.897, nothing else changed; 4 the
same as 3)."""
CROSS_LINGUAL_MARGIN = 0.02
"""How far below the last of the top hits a passage in the other language may score and still
take its place (multilingual-e5-small ranks same-language passages a little higher)."""


def _with_other_language(query: str, hits: list[Hit], k: int) -> list[Hit]:
    """The top ``k`` hits; when none of them is in the other language than the question, the best
    one that is takes the last place if it scores within ``CROSS_LINGUAL_MARGIN`` of it."""
    top = hits[:k]
    asked = clear_language(query)
    if asked is None or len(top) < k or any(clear_language(h.chunk.text) not in (None, asked) for h in top):
        return top
    for hit in hits[k:]:
        if clear_language(hit.chunk.text) not in (None, asked) and hit.score >= top[-1].score - CROSS_LINGUAL_MARGIN:
            return [*top[:-1], hit]
    return top


def _cite_uncited(text: str, checked: CheckedStream, sources: list[SourceDocument]) -> str:
    """Text without markers cites the first source that holds all its facts (all sources if none
    does alone), so the citation points where the facts are."""
    if MARKER.search(text) or not sources:
        return text
    for source in sources:
        if checked.check.sentence(f"{text} [{source.number}]").ok:
            return f"{text.rstrip()} [{source.number}]"
    return text.rstrip() + " " + "".join(f"[{s.number}]" for s in sources)
