"""BM25 top-k over permitted rows: the MaxScore path for common terms gives what summing gives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrieval import lexical
from retrieval.lexical import LexicalIndex

ROWS = 6000


def _texts(seed: int) -> list[str]:
    """Zipf text like bench/filtered_search.py: a few words occur in most rows."""
    rng = np.random.default_rng(seed)
    return [" ".join(f"w{w}" for w in np.minimum(rng.zipf(1.3, size=12), 3000)) for _ in range(ROWS)]


INDEX = LexicalIndex(_texts(0))


def _brute_force(index: LexicalIndex, query: str, permitted: np.ndarray, k: int) -> list[tuple[int, float]]:
    """Every row's full BM25 score, the permitted positive ones, best first (ties by row)."""
    scores = index.scores(query)
    rows = [r for r in np.flatnonzero(permitted) if scores[r] > 0]
    rows.sort(key=lambda r: (-float(scores[r]), r))
    return [(int(r), float(scores[r])) for r in rows[:k]]


def _assert_same_ranking(got: list[tuple[int, float]], want: list[tuple[int, float]]) -> None:
    assert len(got) == len(want)
    assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-5)
    # rows may swap only where scores tie (to float rounding)
    for (row, score), (other, other_score) in zip(got, want, strict=True):
        assert row == other or score == pytest.approx(other_score, rel=1e-5)


def test_common_terms_exist_in_the_fixture() -> None:
    """The property below exercises the MaxScore path: w1 and w2 are common, w40 is not."""
    indptr, vocab = INDEX._indptr, INDEX._vocab
    common = max(lexical.COMMON_TERM_MIN_ROWS, int(ROWS * lexical.COMMON_TERM_SHARE))
    df = {w: int(indptr[vocab[w] + 1] - indptr[vocab[w]]) for w in ("w1", "w2", "w40")}
    assert df["w1"] > common and df["w2"] > common and df["w40"] < common


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rare=st.lists(st.integers(3, 400), min_size=0, max_size=3),
    common=st.lists(st.sampled_from([1, 2]), min_size=0, max_size=2),
    share=st.sampled_from([0.001, 0.01, 0.1, 0.5, 1.0]),
    k=st.integers(1, 60),
    seed=st.integers(0, 2**16),
)
def test_top_permitted_equals_brute_force_and_only_returns_permitted_rows(
    rare: list[int], common: list[int], share: float, k: int, seed: int
) -> None:
    query = " ".join(f"w{w}" for w in [*rare, *common]) or "w1"
    permitted = np.random.default_rng(seed).random(ROWS) < share
    got = INDEX.top_permitted(query, permitted, k)
    assert all(permitted[row] for row, _ in got)
    # given the permitted rows, long posting lists are searched for them instead: the same result
    assert INDEX.top_permitted(query, permitted, k, rows=np.flatnonzero(permitted)) == got
    _assert_same_ranking(got, _brute_force(INDEX, query, permitted, k))
    ids = [INDEX._vocab[t] for t in dict.fromkeys(query.split()) if t in INDEX._vocab]
    assert got == INDEX._top_summed(ids, permitted, k)  # identical, ties at the k-th place included


def test_maxscore_answers_when_rare_terms_decide_and_falls_back_when_they_cannot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    permitted = np.ones(ROWS, dtype=bool)
    summed: list[int] = []
    original = LexicalIndex._top_summed

    def counting(
        self: LexicalIndex, ids: list[int], mask: np.ndarray, k: int, rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        summed.append(k)
        return original(self, ids, mask, k, rows)

    monkeypatch.setattr(LexicalIndex, "_top_summed", counting)
    # a rare term found in >= k rows outscores anything made of the common words alone
    rare_hits = INDEX.top_permitted("w60", permitted, 200)
    k = min(5, len(rare_hits))
    _assert_same_ranking(INDEX.top_permitted("w60 w1 w2", permitted, k), _brute_force(INDEX, "w60 w1 w2", permitted, k))
    assert summed == [200]  # only the single-term query summed; the mixed one did not
    # a rare term in fewer than k permitted rows: rows with only common words fill the top k
    sparse = np.zeros(ROWS, dtype=bool)
    sparse[[r for r, _ in rare_hits[:2]]] = True
    sparse[np.arange(0, ROWS, 7)] = True
    got = INDEX.top_permitted("w60 w1", sparse, 30)
    assert summed[-1] == 30
    _assert_same_ranking(got, _brute_force(INDEX, "w60 w1", sparse, 30))
    assert len(got) == 30


def test_scores_equal_bm25s_on_the_same_tokens_across_build_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """The index is built here, streaming; its weights are bm25s' (the reference implementation)."""
    import bm25s

    monkeypatch.setattr(lexical, "BUILD_BATCH", 7)  # many batches, a term spread over all of them
    texts = [*_texts(3)[:300], "", "Reisekosten Reisekostenrichtlinie policies", "policy policy policy w1"]
    index = LexicalIndex(texts)
    tokenizer = lexical.BilingualTokenizer()
    vocab: dict[str, int] = {}
    corpus = [[vocab.setdefault(t, len(vocab)) for t in tokenizer.tokens(text) or ["\u2400"]] for text in texts]
    reference = bm25s.BM25()
    reference.index((corpus, vocab), show_progress=False)
    for query in ("w1", "w2 w7 w40", "policy", "Reisekosten", "w1 w2 w3 w5 w8 w13"):
        terms = [t for t in dict.fromkeys(tokenizer.tokens(query)) if t in vocab]
        want = np.asarray(reference.get_scores(terms), dtype=np.float32)
        got = index.scores(query)
        assert np.count_nonzero(want) > 0
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
