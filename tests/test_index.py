import json

import numpy as np
import pytest

from rag.errors import IndexStateError
from rag.index import IndexSpec, VectorIndex
from rag.types import Chunk

SPEC = IndexSpec(embedder="fake", dimension=3, chunk_tokens=10, chunk_overlap=2)


def _index() -> VectorIndex:
    chunks = [Chunk(id=f"d:{i}", doc_id="d", source="d.txt", title="T", date=None, start=i, end=i + 1, text=t)
              for i, t in enumerate("abc")]
    vectors = np.eye(3, dtype=np.float32)
    return VectorIndex.build(SPEC, chunks, vectors)


def test_search_ranks_by_cosine_and_round_trips(tmp_path):
    index = _index()
    query = np.array([0.1, 0.9, 0.3], dtype=np.float32)
    query /= np.linalg.norm(query)
    assert [index.chunks[p].text for p, _ in index.search(query, 2)] == ["b", "c"]
    assert index.similarity(query, 1) == pytest.approx(index.search(query, 1)[0][1])
    index.save(tmp_path)
    reopened = VectorIndex.open(tmp_path, SPEC)
    assert reopened.chunks == index.chunks
    assert reopened.search(query, 3) == index.search(query, 3)


def test_saving_again_replaces_the_generation_atomically(tmp_path):
    _index().save(tmp_path)
    first = (tmp_path / "CURRENT").read_text()
    _index().save(tmp_path)
    second = (tmp_path / "CURRENT").read_text()
    assert first != second
    assert sorted(p.name for p in tmp_path.glob("gen-*")) == [second]


def test_other_settings_or_embedder_is_a_clear_error(tmp_path):
    _index().save(tmp_path)
    other = IndexSpec(embedder="fake", dimension=3, chunk_tokens=20, chunk_overlap=2)
    with pytest.raises(IndexStateError, match="chunks of 10 tokens.*rag index"):
        VectorIndex.open(tmp_path, other)


def test_missing_and_damaged_indexes_are_detected(tmp_path):
    with pytest.raises(IndexStateError, match="no index at"):
        VectorIndex.open(tmp_path, SPEC)
    _index().save(tmp_path)
    generation = tmp_path / (tmp_path / "CURRENT").read_text()
    chunks = generation / "chunks.jsonl"
    chunks.write_text(chunks.read_text().replace('"b"', '"B"'))
    with pytest.raises(IndexStateError, match="damaged"):
        VectorIndex.open(tmp_path, SPEC)
    (generation / "meta.json").write_text("{")
    with pytest.raises(IndexStateError, match="damaged"):
        VectorIndex.open(tmp_path, SPEC)


def test_a_failed_save_leaves_the_previous_index(tmp_path, monkeypatch):
    _index().save(tmp_path)
    live = (tmp_path / "CURRENT").read_text()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("rag.index.os.replace", crash)
    with pytest.raises(OSError):
        _index().save(tmp_path)
    assert (tmp_path / "CURRENT").read_text() == live
    assert [p.name for p in tmp_path.glob("gen-*")] == [live]
    assert json.loads((tmp_path / live / "meta.json").read_text())["chunks"] == 3
