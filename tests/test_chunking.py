import pytest

from rag.chunking import chunk_documents
from rag.documents import load_documents, parse_document
from rag.embeddings import SentenceTransformerEmbedder


@pytest.fixture(scope="module")
def minilm():
    return SentenceTransformerEmbedder()


@pytest.mark.parametrize("size,overlap", [(200, 40), (64, 16)])
def test_seed_chunks_are_exact_spans_within_the_embedder_limit(seeds, minilm, size, overlap):
    documents, _ = load_documents([seeds])
    chunks = chunk_documents(documents, count_tokens=minilm.count_tokens, chunk_tokens=size, chunk_overlap=overlap)
    by_id = {d.id: d for d in documents}
    assert {c.doc_id for c in chunks} == set(by_id)
    for chunk in chunks:
        assert by_id[chunk.doc_id].text[chunk.start:chunk.end] == chunk.text
        assert minilm.count_tokens(chunk.text) <= size
    for document in documents:
        mine = [c for c in chunks if c.doc_id == document.id]
        covered = set()
        for c in mine:
            covered.update(range(c.start, c.end))
        # Every visible character lands in some chunk: nothing is dropped between chunks.
        assert all(i in covered for i, ch in enumerate(document.text) if not ch.isspace())
        assert [c.start for c in mine] == sorted(c.start for c in mine)


def test_neighbouring_chunks_overlap(minilm):
    text = " ".join(f"Sentence number {i} talks about Pokrovsk and Kyiv." for i in range(60))
    chunks = chunk_documents([parse_document(text, "long.txt")], count_tokens=minilm.count_tokens,
                             chunk_tokens=50, chunk_overlap=15)
    assert len(chunks) > 3
    assert all(b.start < a.end for a, b in zip(chunks, chunks[1:]))


def test_repeated_text_still_gets_exact_spans():
    text = "same line\n" * 50
    words = lambda t: len(t.split())  # noqa: E731
    chunks = chunk_documents([parse_document(text, "r.txt")], count_tokens=words, chunk_tokens=8, chunk_overlap=2)
    assert all(text[c.start:c.end] == c.text for c in chunks)
    assert chunks[-1].end == len(text.rstrip())
