import numpy as np

from rag.store.folder import IndexSpec, VectorIndex
from rag.retrieval import reciprocal_rank_fusion, search
from rag.store.keywords import KeywordIndex
from rag.types import Chunk


def test_rrf_by_hand():
    # 1: 1/61 + 1/62 and 2: 1/62 + 1/61 tie, as do 3 and 4 at 1/63 each: ties go to the lower item.
    assert reciprocal_rank_fusion([[1, 2, 3], [2, 1, 4]]) == [1, 2, 3, 4]
    assert reciprocal_rank_fusion([[1, 2, 3], [3]]) == [3, 1, 2]  # 3: 1/63 + 1/61 beats 1/61
    assert reciprocal_rank_fusion([[5], []]) == [5]


def _store(texts, vectors) -> VectorIndex:
    chunks = [Chunk(id=str(i), doc_id="d", source="d.txt", title="t", date=None, start=0, end=1, text=t)
              for i, t in enumerate(texts)]
    return VectorIndex.build(IndexSpec("fake", 3, 10, 2), chunks, np.asarray(vectors, dtype=np.float32))


def test_keywords_find_rare_names_that_vectors_miss():
    texts = ["Talks in Moscow about peace.", "Russia took Rivnopillia and Mala Tokmachka.", "Weather was foggy."]
    keywords = KeywordIndex.build(texts)
    assert keywords.search("Where is Rivnopillia?", 3) == [1]
    assert keywords.search("the of and", 3) == []
    # Vectors that point the wrong way: only BM25 knows chunk 1 is the answer.
    store = _store(texts, np.eye(3))
    query = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    dense = search(store, None, "Where is Rivnopillia?", query, 1)
    hybrid = search(store, keywords, "Where is Rivnopillia?", query, 2)
    assert [h.chunk.id for h in dense] == ["0"]
    assert {h.chunk.id for h in hybrid} == {"0", "1"}
    assert {h.chunk.id: h.score for h in hybrid} == {"0": 1.0, "1": 0.0}  # scores stay dense cosines


def test_keywords_best_match_joins_what_fusion_ranked_lower():
    texts = ["Talks about Rivnopillia.", "Weather was foggy.", "Russia took Rivnopillia and Mala Tokmachka."]
    # Dense order 0, 1, 2 and BM25 order 2, 0 fuse to 0 (1/61 + 1/62) before 2 (1/63 + 1/61).
    store = _store(texts, [[1, 0, 0], [0.5, 0.866, 0], [0, 0, 1]])
    query = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    question = "Rivnopillia Mala Tokmachka"
    keywords = KeywordIndex.build(texts)
    assert keywords.search(question, 3) == [2, 0]
    assert [h.chunk.id for h in search(store, keywords, question, query, 1)] == ["0", "2"]
    assert [h.chunk.id for h in search(store, keywords, question, query, 2)] == ["0", "2"]
    assert [h.chunk.id for h in search(store, None, question, query, 1)] == ["0"]
