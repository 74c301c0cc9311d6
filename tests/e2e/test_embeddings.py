"""The numpy MiniLM gives sentence-transformers' vectors: the reference it replaces on the ask path."""

import numpy as np

from rag.chunking import chunk_documents
from rag.documents import load_documents
from rag.embeddings import load_embedder
from rag.embeddings.bert import BertEmbedder
from rag.embeddings.sbert import SentenceTransformerEmbedder


def test_numpy_minilm_matches_sentence_transformers_on_the_seeds(seeds):
    ours = load_embedder()
    assert isinstance(ours, BertEmbedder)
    reference = SentenceTransformerEmbedder()
    chunks = chunk_documents(load_documents([seeds])[0], count_tokens=ours.count_tokens,
                             chunk_tokens=128, chunk_overlap=24)
    texts = [c.text for c in chunks] + ["Who is Yuri Ushakov?", "x", " ".join(c.text for c in chunks[:6])]
    a, b = ours.embed(texts), reference.embed(texts)
    assert a.shape == b.shape == (len(texts), 384) and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    assert (a * b).sum(axis=1).min() >= 0.9999
    assert ours.name == reference.name and ours.max_tokens == reference.max_tokens
    assert all(ours.count_tokens(t) == reference.count_tokens(t) for t in texts[:5])
