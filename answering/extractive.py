"""The extractive answer: the sentence or two of the permitted passages that answer the question.

Used when the model's answer fails the grounding check, and as the degraded answer when the model
is down. Sentences of the passages the model was shown are ranked against the question with the
embedder (dense similarity) and BM25 (the index's bilingual tokenizer), plus a bonus for sentences
that contain the kind of thing asked for (a number for "wie viele"/"how many", a date for "bis
wann"/"when", a name for "wer"/"who"). The best one, and its neighbour when that one scores close,
are quoted with the document's title and its citation marker.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

import numpy as np

from answering.facts import extract_facts
from answering.grounding import Asked, asked_kind, has_kind
from answering.prompts import SourceDocument
from retrieval.embedding import Embedder
from retrieval.lexical import BilingualTokenizer, LexicalIndex
from retrieval.types import Hit

WEIGHTS = (0.8, 0.45)
"""Dense and BM25 weights of a sentence's score (each normalised to [0, 1] over the candidates)."""
LEXICAL_FLOOR = 2.0
"""BM25 is divided by its best candidate's score, but by at least this: one weak shared word
among otherwise unrelated sentences must not count as a full match."""
KIND_BONUS = 0.4
"""Added to a sentence that contains the asked-for kind."""
PASSAGE_WEIGHT = 0.2
"""Added in proportion to the retrieval score of the sentence's document."""
ORDER_PENALTY = 0.002
"""Subtracted per candidate position: ties go to the better passage."""
MIN_COVERAGE = 0.3
MIN_DENSE = 0.84
"""A sentence answers only if it holds ``MIN_COVERAGE`` of the question's terms or its dense
similarity reaches ``MIN_DENSE`` (cross-lingual questions share no terms with their answer)."""
CONDITION_PENALTY = 0.25
"""Subtracted from a sentence that opens with a condition the question does not mention ("Bei
Teilzeit …", "If you …"): the rule comes before its exceptions."""
_CONDITION = re.compile(
    r"^\W*(?:bei|wenn|falls|sofern|soweit|abweichend|ausnahme\w*|für|if|when|unless|except|for)\s+(\w+(?:\s+\w+)?)",
    re.IGNORECASE,
)
SECOND_SENTENCE_RATIO = 0.92
"""A second sentence is quoted when it scores at least this share of the best one."""
MAX_CANDIDATES = 48
MAX_QUOTE_CHARS = 420

_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ0-9„\"(])|\n+|\s+[-–•]\s+|(?<=[:;,])\s+(?=- )")
_NO_SPLIT_BEFORE = re.compile(r"(?:\b(?:Dr|Prof|Nr|ca|bzw|inkl|ggf|vgl|z\.\s?B|Mio|Mrd|Abs|Art|No|Mr|Mrs|Ms)|\d)\.$")
_BULLET = re.compile(r"^\s*(?:[-–•*]|\d+\.)\s+")


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage and the source number it belongs to."""

    text: str
    source: int
    order: int
    """Position among all candidates (passage rank, then position in the passage)."""
    passage_score: float = 0.0
    """The retrieval score of the passage it comes from."""


@dataclass(frozen=True)
class Extract:
    """The chosen sentence(s) of one source, with the scores they were chosen by."""

    sentences: tuple[str, ...]
    source: SourceDocument
    score: float
    dense: float
    lexical: float
    coverage: float
    """The share of the question's terms in the chosen sentence(s)."""

    @property
    def answers(self) -> bool:
        """Whether the sentence(s) plausibly answer the question (not just share its topic)."""
        return self.coverage >= MIN_COVERAGE or self.dense >= MIN_DENSE

    def quote(self) -> str:
        text = " ".join(self.sentences)
        return text if len(text) <= MAX_QUOTE_CHARS else text[: MAX_QUOTE_CHARS - 2].rsplit(" ", 1)[0] + " …"


def passage_sentences(text: str) -> list[str]:
    """A passage split into sentences and list items, without bullets."""
    pieces: list[str] = []
    for piece in _SPLIT.split(text):
        piece = _BULLET.sub("", piece).strip()
        if not piece:
            continue
        if pieces and _NO_SPLIT_BEFORE.search(pieces[-1]):
            pieces[-1] = f"{pieces[-1]} {piece}"
        else:
            pieces.append(piece)
    return [p for p in pieces if len(p) >= 12 and re.search(r"[^\W\d_]{3}", p)]


def candidates(sources: list[SourceDocument]) -> list[Sentence]:
    """Every sentence of the passages, in passage rank order (best passage first)."""
    out: list[Sentence] = []
    ranked = sorted(((hit.score, s.number, hit) for s in sources for hit in s.hits), key=lambda t: -t[0])
    for score, number, hit in ranked:
        for sentence in passage_sentences(hit.chunk.text):
            out.append(Sentence(sentence, number, len(out), score))
            if len(out) >= MAX_CANDIDATES:
                return out
    return out


def _normalised(values: np.ndarray) -> np.ndarray:
    if values.size == 0:
        return values
    top = float(values.max())
    return values / top if top > 0 else np.zeros_like(values)


class SentenceSelector:
    """Picks the sentence(s) that answer a question, from the passages an answer may use."""

    def __init__(self, embedder: Embedder, tokenizer: BilingualTokenizer | None = None) -> None:
        self._embedder = embedder
        self._tokenizer = tokenizer or BilingualTokenizer()

    async def select(
        self, question: str, question_vector: np.ndarray | None, sources: list[SourceDocument]
    ) -> Extract | None:
        """The best sentence(s), or ``None`` when the passages have no sentence at all."""
        found = candidates(sources)
        if not found:
            return None
        texts = [s.text for s in found]
        vectors = await asyncio.to_thread(self._embedder.embed_passages, texts)
        if question_vector is None:
            question_vector = (await asyncio.to_thread(self._embedder.embed_queries, [question]))[0]
        return self.rank(question, np.asarray(question_vector), found, np.asarray(vectors), sources)

    def rank(
        self,
        question: str,
        question_vector: np.ndarray,
        found: list[Sentence],
        vectors: np.ndarray,
        sources: list[SourceDocument],
    ) -> Extract:
        dense = vectors @ question_vector.astype(np.float32)
        lexical = LexicalIndex([s.text for s in found], self._tokenizer).scores(question)
        asked = asked_kind(question)
        bonus = np.array(
            [KIND_BONUS if asked is not Asked.OTHER and has_kind(extract_facts(s.text), asked) else 0.0 for s in found]
        )
        # dense similarity of E5-like models lives in a narrow band: spread it before mixing
        spread = dense - float(dense.min()) if dense.size > 1 else dense
        passage = _normalised(np.array([s.passage_score for s in found], dtype=np.float32))
        condition = np.array([CONDITION_PENALTY if self._other_condition(question, s.text) else 0.0 for s in found])
        score = (
            WEIGHTS[0] * _normalised(spread)
            + WEIGHTS[1] * lexical / max(float(lexical.max(initial=0.0)), LEXICAL_FLOOR)
            + bonus
            + PASSAGE_WEIGHT * passage
            - ORDER_PENALTY * np.arange(len(found))
            - condition
        )
        best = int(np.argmax(score))
        chosen = [best]
        neighbour = best + 1
        if (
            neighbour < len(found)
            and found[neighbour].source == found[best].source
            and score[neighbour] >= SECOND_SENTENCE_RATIO * score[best]
        ):
            chosen.append(neighbour)
        by_number = {s.number: s for s in sources}
        sentences = tuple(found[i].text for i in chosen)
        return Extract(
            sentences=sentences,
            source=by_number[found[best].source],
            score=float(score[best]),
            dense=float(dense[best]),
            lexical=float(lexical[best]),
            coverage=self.coverage(question, " ".join(sentences)),
        )

    def _other_condition(self, question: str, sentence: str) -> bool:
        """The sentence opens with a condition ("Bei Teilzeit …") that the question does not name."""
        match = _CONDITION.match(sentence)
        if match is None:
            return False
        words = set(self._tokenizer.tokens(match.group(1)))
        return bool(words) and not words & set(self._tokenizer.tokens(question))

    def coverage(self, question: str, text: str) -> float:
        """The share of the question's terms (stemmed, stop words dropped) that ``text`` contains."""
        terms = set(self._tokenizer.tokens(question))
        return len(terms & set(self._tokenizer.tokens(text))) / len(terms) if terms else 1.0

    def support(self, question: str, hits: list[Hit]) -> float:
        """The share of the question's terms that the passages (with their titles and headings) contain."""
        return self.coverage(question, "\n".join(h.chunk.indexed_text for h in hits))


PRESENTATION = {
    "de": "Laut „{title}“: „{quote}“ [{n}]",
    "en": "According to “{title}”: “{quote}” [{n}]",
}


def present(extract: Extract, language: str) -> str:
    """The extract as answer text: title, quoted sentence(s), citation marker."""
    template = PRESENTATION.get(language, PRESENTATION["en"])
    quote = extract.quote().replace("“", "'").replace("”", "'").replace("„", "'")
    return template.format(title=" ".join(extract.source.doc.title.split()), quote=quote, n=extract.source.number)
