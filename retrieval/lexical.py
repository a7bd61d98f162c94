"""BM25 tokenisation for a German and English corpus.

Every token is reduced by both the German and the English Snowball stemmer (both stems are kept
when they differ), so one index serves both languages and a question in either language matches
inflected forms ("Reisekosten" / "Reisekostenrichtlinien", "policy" / "policies"). Stop words of
both languages are dropped. German umlauts are folded so "Büro" and "Buero" meet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_GERMAN

_TOKEN = re.compile(r"[\w][\w\-]*[\w]|[\w]", re.UNICODE)
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})

QUESTION_WORDS = frozenset(
    [
        "can",
        "do",
        "does",
        "from",
        "has",
        "have",
        "how",
        "i",
        "its",
        "me",
        "my",
        "our",
        "them",
        "us",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "you",
        "your",
        "bitte",
        "darf",
        "gibt",
        "gilt",
        "ja",
        "nein",
        "wann",
        "warum",
        "wer",
    ]
)
"""Words of questions that the library lists lack (they name what is asked, not what it is about)."""

STOPWORDS = frozenset(w.translate(_FOLD) for w in (*STOPWORDS_EN, *STOPWORDS_GERMAN)) | QUESTION_WORDS
"""bm25s' English and German (Snowball) lists, umlauts folded like the tokens, plus question words."""


def content_words(text: str) -> list[str]:
    """The words of ``text`` that the tokenizer keeps (not stop words, longer than one
    character), as written and in order: what a text is *about*, before stemming."""
    return [w for w in _TOKEN.findall(text) if len(w) > 1 and w.lower().translate(_FOLD) not in STOPWORDS]


class BilingualTokenizer:
    """Lower-case, fold, drop stop words, stem with the German and the English stemmer.

    Stems are cached per word (a corpus repeats its words), which makes tokenising a million
    chunks a matter of dictionary look-ups rather than two stemmer calls per word."""

    CACHE_WORDS = 500_000

    def __init__(self) -> None:
        self._de = Stemmer.Stemmer("german")
        self._en = Stemmer.Stemmer("english")
        self._cache: dict[str, tuple[str, ...]] = {}

    def _stems(self, word: str) -> tuple[str, ...]:
        de, en = self._de.stemWord(word), self._en.stemWord(word)
        stems = (de,) if en == de else (de, en)
        if "-" in word:
            stems += tuple(part for part in word.split("-") if len(part) > 1)
        if len(self._cache) < self.CACHE_WORDS:
            self._cache[word] = stems
        return stems

    def tokens(self, text: str) -> list[str]:
        out: list[str] = []
        cache = self._cache
        for word in _TOKEN.findall(text.lower().translate(_FOLD)):
            if word in STOPWORDS or len(word) <= 1:
                continue
            stems = cache.get(word)
            out.extend(stems if stems is not None else self._stems(word))
        return out


COMMON_TERM_SHARE = 1 / 16
"""A query term on more than this share of a segment's rows (and ``COMMON_TERM_MIN_ROWS``) is
"common": it is only looked up for the rows the other terms found, if that provably gives the
same top k (MaxScore). On the Zipf text of bench/filtered_search.py a query's commonest words
occur in most chunks, and summing their permitted postings was most of a hybrid query."""
COMMON_TERM_MIN_ROWS = 4096


class LexicalIndex:
    """BM25 over a fixed list of texts (built once per snapshot)."""

    def __init__(self, texts: Sequence[str], tokenizer: BilingualTokenizer | None = None) -> None:
        self._tokenizer = tokenizer or BilingualTokenizer()
        self._size = len(texts)
        self._bm25: bm25s.BM25 | None = None
        self._max_weight = np.zeros(0, dtype=np.float32)
        """The largest BM25 weight in each term's posting list (MaxScore's upper bound)."""
        if texts:
            vocab: dict[str, int] = {}
            corpus = [
                [vocab.setdefault(t, len(vocab)) for t in self._tokenizer.tokens(text) or ["\u2400"]] for text in texts
            ]
            self._bm25 = bm25s.BM25()
            self._bm25.index((corpus, vocab), show_progress=False)
            data, indptr = self._bm25.scores["data"], self._bm25.scores["indptr"]
            self._max_weight = np.zeros(indptr.size - 1, dtype=np.float32)
            filled = np.flatnonzero(np.diff(indptr) > 0)
            self._max_weight[filled] = np.maximum.reduceat(data, indptr[filled])

    def memory_bytes(self) -> int:
        if self._bm25 is None:
            return 0
        arrays = [self._bm25.scores[k] for k in ("data", "indices", "indptr")]
        return sum(int(a.nbytes) for a in arrays) + int(self._max_weight.nbytes)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every text for ``query`` (zeros where no query term occurs)."""
        if self._bm25 is None:
            return np.zeros(0, dtype=np.float32)
        vocab = self._bm25.vocab_dict
        terms = [t for t in dict.fromkeys(self._tokenizer.tokens(query)) if t in vocab]
        if not terms:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)

    def top_permitted(self, query: str, permitted: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The best ``k`` (row, score) pairs among the rows where ``permitted`` is true.

        Only the posting lists of the query's terms are read, and only their permitted entries
        are summed: the cost follows the rows that contain a query term, not the corpus size.
        Terms on more than ``COMMON_TERM_SHARE`` of the rows are first only looked up for the
        rows the other terms found (MaxScore); see ``_top_with_common_terms``.
        """
        if self._bm25 is None or k <= 0:
            return []
        vocab = self._bm25.vocab_dict
        ids = [vocab[t] for t in dict.fromkeys(self._tokenizer.tokens(query)) if t in vocab]
        if not ids:
            return []
        indptr = self._bm25.scores["indptr"]
        common_rows = max(COMMON_TERM_MIN_ROWS, int(self._size * COMMON_TERM_SHARE))
        common = [t for t in ids if indptr[t + 1] - indptr[t] > common_rows]
        if common and len(common) < len(ids):
            rare = [t for t in ids if t not in common]
            found = self._top_with_common_terms(rare, common, permitted, k)
            if found is not None:
                return found
        return self._top_summed(ids, permitted, k)

    def _postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, BM25 weights) of one term; rows are sorted."""
        data, indices, indptr = (self._bm25.scores[key] for key in ("data", "indices", "indptr"))  # type: ignore[union-attr]
        return indices[indptr[term] : indptr[term + 1]], data[indptr[term] : indptr[term + 1]]

    def _permitted_postings(self, ids: list[int], permitted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The permitted entries of the terms' posting lists, concatenated: (rows, weights)."""
        rows, weights = zip(*(self._postings(term) for term in ids), strict=True) if ids else ((), ())
        keep = [permitted[r] for r in rows]
        return (
            np.concatenate([r[m] for r, m in zip(rows, keep, strict=True)] or [np.zeros(0, np.int64)]),
            np.concatenate([w[m] for w, m in zip(weights, keep, strict=True)] or [np.zeros(0, np.float32)]),
        )

    def _top_summed(self, ids: list[int], permitted: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Sum every permitted entry of every term's posting list, then take the top ``k``."""
        rows, weights = self._permitted_postings(ids, permitted)
        if rows.size == 0:
            return []
        if rows.size * 16 > self._size:  # many matches: one pass over a dense accumulator is cheaper
            totals = np.bincount(rows, weights=weights, minlength=self._size).astype(np.float32)
            return top_k_masked(totals, np.flatnonzero(totals), k)
        unique, inverse = np.unique(rows, return_inverse=True)
        totals = np.bincount(inverse, weights=weights).astype(np.float32)
        return top_k_masked(totals, np.arange(unique.size), k, labels=unique)

    def _top_with_common_terms(
        self, rare: list[int], common: list[int], permitted: np.ndarray, k: int
    ) -> list[tuple[int, float]] | None:
        """The exact top ``k`` when the common terms cannot change it, else None (MaxScore).

        The permitted rows of the rare terms are the candidates; each common term's weight is
        added to them by a binary search in its (sorted) posting list, not by reading the whole
        list. A row with none of the rare terms scores at most the sum of the common terms'
        largest weights; if the k-th best candidate scores more than that, no such row can enter
        the top ``k`` and the answer equals summing everything. Otherwise (too few candidates, or
        a bound too high) the caller sums everything.
        """
        rows, weights = self._permitted_postings(rare, permitted)
        if rows.size < k:
            return None
        candidates, inverse = np.unique(rows, return_inverse=True)
        if candidates.size < k:
            return None
        totals = np.bincount(inverse, weights=weights)
        for term in common:
            posting, common_weights = self._postings(term)
            at = np.minimum(np.searchsorted(posting, candidates), posting.size - 1)
            present = posting[at] == candidates
            totals[present] += common_weights[at[present]]
        scores = totals.astype(np.float32)
        kth = float(np.partition(scores, scores.size - k)[scores.size - k])
        if kth <= float(self._max_weight[common].sum()):
            return None
        return top_k_masked(scores, np.arange(candidates.size), k, labels=candidates)


def top_k_masked(
    scores: np.ndarray, allowed_rows: np.ndarray, k: int, labels: np.ndarray | None = None
) -> list[tuple[int, float]]:
    """The best ``k`` (row, score) pairs among ``allowed_rows`` with a positive score (``labels``
    maps a position of ``scores`` to the row reported); equal scores are ordered by row, also at
    the k-th place, so the result does not depend on how the scores were gathered."""
    if allowed_rows.size == 0 or scores.size == 0:
        return []
    candidate = scores[allowed_rows]
    positive = np.nonzero(candidate > 0)[0]
    if positive.size == 0:
        return []
    take = min(k, positive.size)
    kth = candidate[positive[np.argpartition(-candidate[positive], take - 1)[take - 1]]]
    best = positive[candidate[positive] >= kth]  # every row tied with the k-th: the lowest rows win
    names = allowed_rows if labels is None else labels[allowed_rows]
    best = best[np.lexsort((names[best], -candidate[best]))][:take]
    return [(int(names[i]), float(candidate[i])) for i in best]
