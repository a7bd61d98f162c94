"""BM25 tokenisation for a German and English corpus.

Every token is reduced by both the German and the English Snowball stemmer (both stems are kept
when they differ), so one index serves both languages and a question in either language matches
inflected forms ("Reisekosten" / "Reisekostenrichtlinien", "policy" / "policies"). Stop words of
both languages are dropped. German umlauts are folded so "Büro" and "Buero" meet.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator

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
SEARCH_SHARE = 16
"""A posting list longer than this many times the permitted rows is searched for them (binary
search per permitted row) instead of being filtered entry by entry."""


K1 = 1.5
B = 0.75
"""BM25 parameters (Lucene's variant, as bm25s computes it by default)."""
BUILD_BATCH = 16_384
"""Texts tokenised at a time while an index is built."""


class LexicalIndex:
    """BM25 over a fixed sequence of texts (built once per segment), stored per term (CSC).

    The scores are bm25s' (``method="lucene"``: idf ``log(1 + (N - df + 0.5) / (df + 0.5))``,
    term weight ``tf / (k1 · (1 - b + b · len / avg len) + tf)``; a unit test compares the two),
    but the index is built here, in one streaming pass: bm25s needs every text's token list in
    memory at once (Python lists, about 0.5 GB per million chunks of bench text, more than the
    finished index), which a segment of ten million chunks cannot afford."""

    def __init__(self, texts: Iterable[str], tokenizer: BilingualTokenizer | None = None) -> None:
        self._tokenizer = tokenizer or BilingualTokenizer()
        self._vocab: dict[str, int] = {}
        batches: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        lengths: list[np.ndarray] = []
        self._size = 0
        for batch in _batched(texts, BUILD_BATCH):
            terms, docs, counts, length = self._count(batch, self._size)
            batches.append((terms, docs, counts))
            lengths.append(length)
            self._size += len(batch)
        self._data, self._indices, self._indptr = _weights(
            batches, np.concatenate(lengths) if lengths else np.zeros(0, np.int32), len(self._vocab), self._size
        )
        self._max_weight = np.zeros(len(self._vocab), dtype=np.float32)
        """The largest BM25 weight in each term's posting list (MaxScore's upper bound)."""
        filled = np.flatnonzero(np.diff(self._indptr) > 0)
        if filled.size:
            self._max_weight[filled] = np.maximum.reduceat(self._data, self._indptr[filled])
        self._vocab_bytes = sys.getsizeof(self._vocab) + sum(sys.getsizeof(t) for t in self._vocab)

    def _count(self, texts: list[str], first_row: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(term, row, count) of every distinct term of every text, and each text's length."""
        vocab, tokens = self._vocab, self._tokenizer.tokens
        ids: list[int] = []
        length = np.empty(len(texts), dtype=np.int32)
        for i, text in enumerate(texts):
            words = tokens(text) or ["\u2400"]  # an empty text still counts as a document
            ids.extend(vocab.setdefault(t, len(vocab)) for t in words)
            length[i] = len(words)
        rows = np.repeat(np.arange(first_row, first_row + len(texts), dtype=np.int64), length)
        pairs, counts = np.unique((rows << 32) | np.asarray(ids, dtype=np.int64), return_counts=True)
        return (pairs & 0xFFFFFFFF).astype(np.int32), (pairs >> 32).astype(np.int32), counts.astype(np.float32), length

    def memory_bytes(self) -> int:
        arrays = (self._data, self._indices, self._indptr, self._max_weight)
        return sum(int(a.nbytes) for a in arrays) + self._vocab_bytes

    def _term_ids(self, query: str) -> list[int]:
        vocab = self._vocab
        return [vocab[t] for t in dict.fromkeys(self._tokenizer.tokens(query)) if t in vocab]

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every text for ``query`` (zeros where no query term occurs)."""
        totals = np.zeros(self._size, dtype=np.float32)
        for term in self._term_ids(query):
            rows, weights = self._postings(term)
            totals[rows] += weights  # a row is at most once in a term's list
        return totals

    def top_permitted(
        self, query: str, permitted: np.ndarray, k: int, rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The best ``k`` (row, score) pairs among the rows where ``permitted`` is true.

        Only the posting lists of the query's terms are read, and only their permitted entries
        are summed: the cost follows the rows that contain a query term, not the corpus size.
        Terms on more than ``COMMON_TERM_SHARE`` of the rows are first only looked up for the
        rows the other terms found (MaxScore); see ``_top_with_common_terms``. ``rows``, the
        permitted rows sorted (if the caller has them), lets a term whose posting list is much
        longer than them be looked up row by row instead (a few permitted rows in ten million).
        """
        if self._size == 0 or k <= 0:
            return []
        ids = self._term_ids(query)
        if not ids:
            return []
        indptr = self._indptr
        common_rows = max(COMMON_TERM_MIN_ROWS, int(self._size * COMMON_TERM_SHARE))
        common = [t for t in ids if indptr[t + 1] - indptr[t] > common_rows]
        if common and len(common) < len(ids):
            rare = [t for t in ids if t not in common]
            found = self._top_with_common_terms(rare, common, permitted, k, rows)
            if found is not None:
                return found
        return self._top_summed(ids, permitted, k, rows)

    def _postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, BM25 weights) of one term; rows are sorted."""
        start, stop = self._indptr[term], self._indptr[term + 1]
        return self._indices[start:stop], self._data[start:stop]

    def _permitted_postings(
        self, ids: list[int], permitted: np.ndarray, rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The permitted entries of the terms' posting lists, concatenated: (rows, weights)."""
        found_rows, found_weights = [np.zeros(0, np.int32)], [np.zeros(0, np.float32)]
        for term in ids:
            posting, weights = self._postings(term)
            if rows is not None and rows.size * SEARCH_SHARE < posting.size:
                at = np.minimum(np.searchsorted(posting, rows), max(0, posting.size - 1))
                present = posting[at] == rows if posting.size else np.zeros(rows.size, dtype=bool)
                found_rows.append(rows[present].astype(np.int32))
                found_weights.append(weights[at[present]])
            else:
                keep = permitted[posting]
                found_rows.append(posting[keep])
                found_weights.append(weights[keep])
        return np.concatenate(found_rows), np.concatenate(found_weights)

    def _top_summed(
        self, ids: list[int], permitted: np.ndarray, k: int, permitted_rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Sum every permitted entry of every term's posting list, then take the top ``k``."""
        rows, weights = self._permitted_postings(ids, permitted, permitted_rows)
        if rows.size == 0:
            return []
        if rows.size * 16 > self._size:  # many matches: one pass over a dense accumulator is cheaper
            totals = np.bincount(rows, weights=weights, minlength=self._size).astype(np.float32)
            return top_k_masked(totals, np.flatnonzero(totals), k)
        unique, inverse = np.unique(rows, return_inverse=True)
        totals = np.bincount(inverse, weights=weights).astype(np.float32)
        return top_k_masked(totals, np.arange(unique.size), k, labels=unique)

    def _top_with_common_terms(
        self, rare: list[int], common: list[int], permitted: np.ndarray, k: int, permitted_rows: np.ndarray | None
    ) -> list[tuple[int, float]] | None:
        """The exact top ``k`` when the common terms cannot change it, else None (MaxScore).

        The permitted rows of the rare terms are the candidates; each common term's weight is
        added to them by a binary search in its (sorted) posting list, not by reading the whole
        list. A row with none of the rare terms scores at most the sum of the common terms'
        largest weights; if the k-th best candidate scores more than that, no such row can enter
        the top ``k`` and the answer equals summing everything. Otherwise (too few candidates, or
        a bound too high) the caller sums everything.
        """
        rows, weights = self._permitted_postings(rare, permitted, permitted_rows)
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


def _batched(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _weights(
    batches: list[tuple[np.ndarray, np.ndarray, np.ndarray]], lengths: np.ndarray, terms: int, rows: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The BM25 weights as (data, row indices, term pointers), term by term, rows ascending.

    A counting sort: the term frequencies give every term's place, and each batch's entries (in
    row order) are moved there and freed, so the peak is the finished arrays plus one batch."""
    df = np.zeros(terms, dtype=np.int64)
    for batch_terms, _, _ in batches:
        df += np.bincount(batch_terms, minlength=terms)
    indptr = np.zeros(terms + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    idf = np.log(1 + (rows - df + 0.5) / (df + 0.5)).astype(np.float32)
    norm = (K1 * ((1 - B) + B * lengths / lengths.mean())).astype(np.float32) if rows else np.zeros(0, np.float32)
    data = np.empty(int(indptr[-1]), dtype=np.float32)
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    heads = indptr[:-1].copy()
    while batches:
        batch_terms, batch_rows, counts = batches.pop(0)
        order = np.argsort(batch_terms, kind="stable")
        sorted_terms = batch_terms[order]
        starts = np.flatnonzero(np.r_[True, sorted_terms[1:] != sorted_terms[:-1]]) if order.size else order
        sizes = np.diff(np.r_[starts, order.size])
        places = heads[sorted_terms] + (np.arange(order.size) - np.repeat(starts, sizes))
        rows_here, counts_here = batch_rows[order], counts[order]
        indices[places] = rows_here
        data[places] = idf[sorted_terms] * (counts_here / (norm[rows_here] + counts_here))
        heads[sorted_terms[starts]] += sizes
    return data, indices, indptr


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
