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
import dataclasses
import re
from dataclasses import dataclass

import numpy as np

from answering.facts import INLINE_CODE, extract_facts
from answering.focus import asks_for_code, focus_words, names_kind
from answering.grounding import Asked, asked_kind, has_kind
from answering.language import clear_language
from answering.prompts import SourceDocument
from answering.sentences import Sentence, candidates
from answering.word_match import WordBridge, compound_match
from retrieval.embedding import Embedder
from retrieval.lexical import BilingualTokenizer, LexicalIndex, content_words
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
NEAR_TOPIC_COVERAGE = 0.5
"""Below this share of the question's terms, a sentence from a passage without the question's focus
words is a near-topic sentence, not an answer (``Extract.near_topic``)."""
FOCUS_BONUS = 0.6
"""Added in proportion to the share of the question's focus words (what it asks for, e.g. "Codewort",
"subject prefix") that a sentence contains."""
SECOND_SENTENCE_RATIO = 0.92
"""A second sentence is quoted when it scores at least this share of the best one."""
MAX_QUOTE_CHARS = 420


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
    focus: float | None = None
    """The share of the question's focus words in the chosen sentence(s); ``None``: it has none."""
    passage_focus: float | None = None
    """The same share in the passage of the first chosen sentence, with its section headings."""
    section: str = ""
    """The heading of the section the sentence(s) come from ("AT 5: Periodensperre"), if any."""

    @property
    def near_topic(self) -> bool:
        """The passage does not name the asked thing and the sentence holds few of the question's
        words: "Which airport lounges may I use on business trips?" against a sentence about the
        travel portal. Nothing in that passage answers it, whatever else it shares."""
        return self.passage_focus == 0.0 and self.coverage <= NEAR_TOPIC_COVERAGE

    @property
    def answers(self) -> bool:
        """Whether the sentence(s) plausibly answer the question (not just share its topic): they
        name everything the question asks for, or hold enough of its terms or come close in
        meaning, and are not ``near_topic``."""
        if self.near_topic:
            return False
        if self.focus is not None and self.focus >= 1.0:
            return True
        return self.coverage >= MIN_COVERAGE or self.dense >= MIN_DENSE

    def quote(self) -> str:
        text = " ".join(self.sentences)
        return text if len(text) <= MAX_QUOTE_CHARS else text[: MAX_QUOTE_CHARS - 2].rsplit(" ", 1)[0] + " …"


def _normalised(values: np.ndarray) -> np.ndarray:
    if values.size == 0:
        return values
    top = float(values.max())
    return values / top if top > 0 else np.zeros_like(values)


ASKING_WORDS = frozenset(["viel", "viele", "vielen", "many", "much"])
"""Words that say how something is asked ("wie viele", "how many"), not what about: they do not
count as terms a passage must contain."""


def cross_lingual(question: str, passages: str) -> bool:
    """The question is clearly in one of German and English and the passages clearly in the other."""
    asked, written = clear_language(question), clear_language(passages)
    return asked is not None and written is not None and asked != written


def _foreign(question: str, passage: str) -> bool:
    return cross_lingual(question, passage)


class SentenceSelector:
    """Picks the sentence(s) that answer a question, from the passages an answer may use."""

    def __init__(self, embedder: Embedder, tokenizer: BilingualTokenizer | None = None) -> None:
        self._embedder = embedder
        self._tokenizer = tokenizer or BilingualTokenizer()
        self._bridge = WordBridge(embedder)

    async def select(
        self, question: str, question_vector: np.ndarray | None, sources: list[SourceDocument]
    ) -> Extract | None:
        """The best sentence(s), or ``None`` when the passages have no sentence at all."""
        found = candidates(sources)
        if not found:
            return None
        vectors = await asyncio.to_thread(self._embedder.embed_passages, [s.text for s in found])
        texts = [s.in_section for s in found]  # the words of the heading count as the sentence's
        if question_vector is None:
            question_vector = (await asyncio.to_thread(self._embedder.embed_queries, [question]))[0]
        language = {src.number: _foreign(question, "\n".join(h.chunk.text for h in src.hits)) for src in sources}
        foreign = [language[s.source] for s in found]
        bridged = None
        if any(foreign):
            bridged = await asyncio.to_thread(self.bridged_coverages, question, texts, foreign)
        focus = await asyncio.to_thread(self.focus_shares, question, texts, foreign)
        passages = list(dict.fromkeys(s.passage for s in found))
        in_passage = await asyncio.to_thread(
            self.focus_shares, question, passages, [foreign[[s.passage for s in found].index(p)] for p in passages]
        )
        extract = self.rank(
            question, np.asarray(question_vector), found, np.asarray(vectors), sources, bridged, focus, foreign
        )
        if in_passage is None:
            return extract
        passage = next(s.passage for s in found if s.text == extract.sentences[0])
        named = float(in_passage[passages.index(passage)])
        if asks_for_code(question) and not any(INLINE_CODE.search(p) for p in passages):
            named = 0.0  # "Which command …" and no passage quotes one: the rest is near-topic
        return dataclasses.replace(extract, passage_focus=named)

    def rank(
        self,
        question: str,
        question_vector: np.ndarray,
        found: list[Sentence],
        vectors: np.ndarray,
        sources: list[SourceDocument],
        bridged: np.ndarray | None = None,
        focus: np.ndarray | None = None,
        foreign: list[bool] | None = None,
    ) -> Extract:
        """The best sentence(s). ``bridged``: each sentence's ``bridged_coverage`` for a question in
        the other language, which stands in for BM25 (zero across languages) where it is higher.
        ``focus``: each sentence's share of the question's focus words (``focus_shares``);
        ``foreign``: whether each sentence is in the other language than the question."""
        dense = vectors @ question_vector.astype(np.float32)
        lexical = LexicalIndex([s.in_section for s in found], self._tokenizer).scores(question)
        lexical_part = lexical / max(float(lexical.max(initial=0.0)), LEXICAL_FLOOR)
        if bridged is not None:
            lexical_part = np.maximum(lexical_part, bridged)
        asked = asked_kind(question)
        bonus = np.array(
            [KIND_BONUS if asked is not Asked.OTHER and has_kind(extract_facts(s.text), asked) else 0.0 for s in found]
        )
        # dense similarity of E5-like models lives in a narrow band: spread it before mixing
        spread = dense - float(dense.min()) if dense.size > 1 else dense
        passage = _normalised(np.array([s.passage_score for s in found], dtype=np.float32))
        # across languages the stems cannot tell whether the question names the condition
        named = foreign or [False] * len(found)
        condition = np.array(
            [
                CONDITION_PENALTY if not named[i] and self._other_condition(question, s.text) else 0.0
                for i, s in enumerate(found)
            ]
        )
        score = (
            WEIGHTS[0] * _normalised(spread)
            + WEIGHTS[1] * lexical_part
            + bonus
            + PASSAGE_WEIGHT * passage
            - ORDER_PENALTY * np.arange(len(found))
            - condition
        )
        if focus is not None:
            score = score + FOCUS_BONUS * focus
        if asks_for_code(question):
            quoted = np.array([INLINE_CODE.search(s.text) is not None for s in found])
            if quoted.any():  # "Which command …": only a sentence that quotes one answers it
                score = np.where(quoted, score, -np.inf)
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
        coverage = self.coverage(question, " ".join(sentences))
        if bridged is not None:
            coverage = max(coverage, *(float(bridged[i]) for i in chosen))
        return Extract(
            sentences=sentences,
            source=by_number[found[best].source],
            score=float(score[best]),
            dense=float(dense[best]),
            lexical=float(lexical[best]),
            coverage=coverage,
            focus=None if focus is None else max(float(focus[i]) for i in chosen),
            section=found[best].section,
        )

    def _other_condition(self, question: str, sentence: str) -> bool:
        """The sentence opens with a condition ("Bei Teilzeit …") that the question does not name."""
        match = _CONDITION.match(sentence)
        if match is None:
            return False
        words = set(self._tokenizer.tokens(match.group(1)))
        return bool(words) and not words & set(self._tokenizer.tokens(question))

    def _terms(self, question: str) -> list[tuple[str, set[str]]]:
        """The question's words (hyphenated ones in parts; stop and asking words dropped), each with
        its stems."""
        parts = dict.fromkeys(p for w in content_words(question.lower()) for p in w.split("-") if p)
        return [(w, stems) for w in parts if w not in ASKING_WORDS and (stems := set(self._tokenizer.tokens(w)))]

    def _lexical(self, terms: list[tuple[str, set[str]]], text: str) -> set[str]:
        found = set(self._tokenizer.tokens(text))
        return {
            w
            for w, stems in terms
            if stems & found or any(compound_match(s, found) for s in stems) or names_kind(w, text)
        }

    def coverage(self, question: str, text: str) -> float:
        """The share of the question's words that ``text`` contains by one of their stems, German
        compounds included (``compound_match``)."""
        terms = self._terms(question)
        return len(self._lexical(terms, text)) / len(terms) if terms else 1.0

    def bridged_coverage(self, question: str, text: str) -> float:
        """``coverage``, where a word may also be found through the ``WordBridge`` (``text`` in the
        other language). Blocking (it embeds)."""
        return float(self.bridged_coverages(question, [text], [True])[0])

    def bridged_coverages(self, question: str, texts: list[str], foreign: list[bool]) -> np.ndarray:
        """``coverage`` of each text, bridged where ``foreign`` says the text is in the other
        language than the question (one embedding call for all words)."""
        terms = self._terms(question)
        if not terms:
            return np.ones(len(texts), dtype=np.float32)
        lexical = [self._lexical(terms, t) for t in texts]
        missing = list(dict.fromkeys(w for (w, _) in terms for found in lexical if w not in found))
        bridged = self._bridge.found_in_each(missing, [t if f else "" for t, f in zip(texts, foreign, strict=True)])
        return np.asarray([len(lx | br) / len(terms) for lx, br in zip(lexical, bridged, strict=True)], np.float32)

    def focus_shares(self, question: str, texts: list[str], foreign: list[bool]) -> np.ndarray | None:
        """The share of the question's focus words (``answering.focus``) each text contains, through
        the ``WordBridge`` where ``foreign``; ``None`` when the question has none. Blocking."""
        terms = self._terms(" ".join(focus_words(question, clear_language(question))))
        if not terms:
            return None
        found = [self._lexical(terms, t) for t in texts]
        missing = list(dict.fromkeys(w for (w, _) in terms for f in found if w not in f))
        if missing and any(foreign):
            bridged = self._bridge.found_in_each(missing, [t if f else "" for t, f in zip(texts, foreign, strict=True)])
            found = [f | b for f, b in zip(found, bridged, strict=True)]
        return np.asarray([len(f) / len(terms) for f in found], dtype=np.float32)

    def support(self, question: str, hits: list[Hit]) -> float:
        """The share of the question's words that the passages (with their titles and headings) contain."""
        return self.coverage(question, self._passages(hits))

    async def bridged_support(self, question: str, hits: list[Hit]) -> float | None:
        """``support`` where the words of passages in the other language than the question may be
        found through the ``WordBridge``; ``None`` when no passage is in the other language."""
        foreign = [h for h in hits if _foreign(question, h.chunk.text)]
        if not foreign:
            return None

        def bridged() -> float:
            terms = self._terms(question)
            if not terms:
                return 1.0
            lexical = self._lexical(terms, self._passages(hits))
            missing = [w for w, _ in terms if w not in lexical]
            found = self._bridge.found_in_each(missing, [self._passages(foreign)])[0] if missing else set()
            return len(lexical | found) / len(terms)

        return await asyncio.to_thread(bridged)

    @staticmethod
    def _passages(hits: list[Hit]) -> str:
        return "\n".join(h.chunk.indexed_text for h in hits)


PRESENTATION = {
    "de": "Laut „{title}“: „{quote}“ [{n}]",
    "en": "According to “{title}”: “{quote}” [{n}]",
}
IN_SECTION = {
    "de": "Laut „{title}“ ({section}): „{quote}“ [{n}]",
    "en": "According to “{title}” ({section}): “{quote}” [{n}]",
}
"""With the section's heading, when the quote does not repeat it: the heading often says what the
sentence is about ("AT 5: Periodensperre" for "Um 12:00 Uhr wird die Buchungsperiode gesperrt").
No label word: a capitalised "Abschnitt" inside an English quote's sentence would read as a name."""


def present(extract: Extract, language: str) -> str:
    """The extract as answer text: title, section heading, quoted sentence(s), citation marker."""
    quote = extract.quote().replace("“", "'").replace("”", "'").replace("„", "'")
    section = extract.section.replace("“", "'").replace("”", "'").replace("„", "'")
    templates = IN_SECTION if section and section.lower() not in quote.lower() else PRESENTATION
    return templates.get(language, templates["en"]).format(
        title=" ".join(extract.source.doc.title.split()), section=section, quote=quote, n=extract.source.number
    )
