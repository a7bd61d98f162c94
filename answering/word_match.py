"""Finding a question's words in a text: by stem, as parts of German compounds, and across German
and English through the embedder (``WordBridge``)."""

from __future__ import annotations

import numpy as np

from retrieval.embedding import Embedder
from retrieval.lexical import content_words

BRIDGE_MIN_SIMILARITY = 0.87
"""A question word counts as found in a passage of the other language when the embedder puts it at
least this close to one of the passage's words (multilingual-e5-small, words embedded alone:
vacation/Urlaub 0.885, night/Nacht 0.909, insider/Insiderliste 0.886, dog/Hund 0.890; the closest
unrelated pairs of the dev tenant's vocabulary reach 0.86, e.g. welcome/übertragen 0.862)."""
COMPOUND_MIN = 5
"""The shortest stem that counts as the first part of a compound."""


def compound_match(term: str, stems: set[str]) -> bool:
    """``term`` and the stems of a text are parts of German compounds: the term begins a stem
    ("hotel" in "hotelobergrenz"), or it splits into a first part that begins a stem and a last
    part (after a linking "s") that ends one ("urlaubstag": "urlaub…" begins "urlaubsanspruch",
    "tag" ends "arbeitstag")."""
    if len(term) < COMPOUND_MIN - 1:
        return False
    if any(len(stem) > len(term) and stem.startswith(term) for stem in stems):
        return True
    for cut in range(COMPOUND_MIN, len(term) - 2):
        head = term[cut:]
        head = head[1:] if head.startswith("s") and len(head) > 3 else head
        if any(stem.startswith(term[:cut]) for stem in stems) and any(
            stem.endswith(head) and stem != term for stem in stems
        ):
            return True
    return False


def _words(text: str) -> list[str]:
    """The distinct content words of ``text``, lower-cased, in order."""
    return list(dict.fromkeys(w.lower() for w in content_words(text) if not w.isdigit()))


class WordBridge:
    """Finds a question's words in passages of the other language: each word is embedded alone and
    matched to the passage's closest word (``BRIDGE_MIN_SIMILARITY``). Term overlap, the measure
    of "do the passages talk about what was asked", is zero between an English question and a
    German passage; this restores it without a dictionary, with the embedder the index already uses.
    Word vectors are cached (documents repeat their words)."""

    CACHE_WORDS = 50_000
    MAX_PASSAGE_WORDS = 600

    def __init__(self, embedder: Embedder, min_similarity: float = BRIDGE_MIN_SIMILARITY) -> None:
        self._embedder = embedder
        self._min = min_similarity
        self._cache: dict[tuple[str, bool], np.ndarray] = {}

    def _vectors(self, words: list[str], query: bool) -> np.ndarray:
        missing = [w for w in words if (w, query) not in self._cache]
        if missing:
            embed = self._embedder.embed_queries if query else self._embedder.embed_passages
            for word, vector in zip(missing, np.asarray(embed(missing), dtype=np.float32), strict=True):
                if len(self._cache) >= self.CACHE_WORDS:
                    self._cache.clear()
                self._cache[(word, query)] = vector
        return np.stack([self._cache[(w, query)] for w in words])

    def found_in_each(self, words: list[str], texts: list[str]) -> list[set[str]]:
        """For each text, the ``words`` (lower-case) that have a counterpart among its words."""
        per_text = [_words(t) for t in texts]
        vocabulary = list(dict.fromkeys(w for ws in per_text for w in ws))[: self.MAX_PASSAGE_WORDS]
        if not words or not vocabulary:
            return [set() for _ in texts]
        column = {w: i for i, w in enumerate(vocabulary)}
        close = (self._vectors(words, query=True) @ self._vectors(vocabulary, query=False).T) >= self._min
        out = []
        for ws in per_text:
            columns = [column[w] for w in ws if w in column]
            hit = close[:, columns].any(axis=1) if columns else np.zeros(len(words), dtype=bool)
            out.append({w for w, yes in zip(words, hit, strict=True) if yes})
        return out
