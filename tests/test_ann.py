import faiss
import numpy as np
import pytest

from rag.store import ann


def _clustered(count: int, *, seed: int, dimension: int = 64, topics: int = 200) -> np.ndarray:
    """Unit vectors around a fixed set of topic centres, like sentence embeddings of a corpus.

    The topics overlap enough that the 10 nearest neighbours often span several IVF lists.
    """
    centres = np.random.default_rng(0).standard_normal((topics, dimension))
    rng = np.random.default_rng(seed)
    vectors = centres[rng.integers(0, topics, count)] + rng.standard_normal((count, dimension))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32)


def test_small_indexes_are_exact_and_large_ones_approximate():
    assert ann.layout_for(0) == ann.Layout()
    assert ann.layout_for(ann.FLAT_LIMIT - 1) == ann.Layout()
    at_limit = ann.layout_for(ann.FLAT_LIMIT)
    million = ann.layout_for(1_000_000)
    assert at_limit.lists > 0 and at_limit.probes > 0
    assert million.lists > at_limit.lists and million.probes >= at_limit.probes
    assert million.probes < million.lists


def test_build_follows_the_layout_by_size():
    vectors = _clustered(100, seed=1)
    assert isinstance(ann.build(vectors, 64), faiss.IndexFlatIP)
    assert ann.build(vectors[:0], 64).ntotal == 0


def _recall(found: np.ndarray, exact: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found, exact)]))


def test_ivf_finds_what_flat_finds_on_clustered_data():
    vectors, queries = _clustered(10_000, seed=1), _clustered(200, seed=2)
    exact = ann.build(vectors, 64, ann.Layout()).search(queries, 10)[1]
    index = ann.build(vectors, 64, ann.Layout(lists=64, probes=16))
    assert _recall(index.search(queries, 10)[1], exact) >= 0.95
    # Probing one list misses neighbours across list borders: the data is not too easy to tell.
    index.nprobe = 1
    assert _recall(index.search(queries, 10)[1], exact) < 0.9
    # The scores are cosines, as from the flat index.
    scores, ids = index.search(queries[:1], 1)
    assert scores[0][0] == pytest.approx(float(vectors[ids[0][0]] @ queries[0]), abs=1e-5)


def test_ivf_keeps_nprobe_and_reconstruct_through_serialisation():
    vectors = _clustered(5_000, seed=3)
    index = ann.build(vectors, 64, ann.Layout(lists=32, probes=7))
    reopened = faiss.deserialize_index(faiss.serialize_index(index))
    assert reopened.nprobe == 7
    np.testing.assert_allclose(reopened.reconstruct(1234), vectors[1234], atol=1e-6)
