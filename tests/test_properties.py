"""Properties on arbitrary input: chunk spans are exact, and reading model output never breaks.

Chunking is checked against LangChain's `RecursiveCharacterTextSplitter`, whose algorithm
`rag.chunking` follows on spans.
"""

import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from langchain_text_splitters import RecursiveCharacterTextSplitter

from fakes import FakeEmbedder
from rag.chunking import SEPARATORS, chunk_documents
from rag.answer.cite import normalize_markers
from rag.documents import parse_document
from rag.types import Hit
from rag.answer.verify import verify

# Pieces that make the splitter work: every separator, words, digits, accents, emoji, CJK.
PIECES = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", "\t", "  ", "word", "Kyiv", "2025", "é", "ü",
          "😀", "中文", "\u200b", "\r\n", "a", "b", "[1]", "."]
COUNTERS = {"characters": len, "words": lambda t: len(t.split()), "fake tokens": FakeEmbedder().count_tokens}

texts = st.one_of(
    st.text(),
    st.lists(st.sampled_from(PIECES), max_size=300).map("".join),
    # Repeated text: the same passage many times over, where searching for a chunk finds it everywhere.
    st.tuples(st.lists(st.sampled_from(PIECES), min_size=1, max_size=20).map("".join),
              st.integers(2, 40)).map(lambda pair: pair[0] * pair[1]),
)
sizes = st.integers(1, 40).flatmap(lambda size: st.tuples(st.just(size), st.integers(0, size - 1)))

settings.register_profile("rag", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("rag")


@given(text=texts, size=sizes, counter=st.sampled_from(sorted(COUNTERS)))
def test_chunks_are_exact_spans_that_cover_the_text(text, size, counter):
    chunk_tokens, overlap = size
    document = parse_document(text, source="doc.txt")
    chunks = chunk_documents([document], count_tokens=COUNTERS[counter], chunk_tokens=chunk_tokens,
                             chunk_overlap=overlap)
    for chunk in chunks:
        assert document.text[chunk.start:chunk.end] == chunk.text and chunk.text
        assert chunk.id == f"{document.id}:{chunk.start}"
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert all(i in covered for i, ch in enumerate(document.text) if not ch.isspace())


@given(text=texts, size=sizes, counter=st.sampled_from(sorted(COUNTERS)))
def test_chunks_are_what_langchain_would_cut(text, size, counter):
    chunk_tokens, overlap = size
    document = parse_document(text, source="doc.txt")
    splitter = RecursiveCharacterTextSplitter(separators=SEPARATORS, keep_separator="end", chunk_size=chunk_tokens,
                                              chunk_overlap=overlap, length_function=COUNTERS[counter])
    chunks = chunk_documents([document], count_tokens=COUNTERS[counter], chunk_tokens=chunk_tokens,
                             chunk_overlap=overlap)
    assert [c.text for c in chunks] == splitter.split_text(document.text)


# Model output: anything, and especially anything made of markers, brackets, numbers and sentences.
MARKUP = ["[1]", "[2]", "[0]", "[99]", "[1, 2]", "[1][3]", "[Source 2]", "[sources 1 and 2]", "[", "]", "[[1]]",
          "[ 3 ]", "[-1]", "[1;2]", ". ", "! ", "? ", "\n", " ", "Kyiv", "Pokrovsk", "2025", "12,000", "the",
          "I cannot find the answer in the provided documents.", "\"", "(", "é", "😀"]
outputs = st.one_of(st.text(), st.lists(st.sampled_from(MARKUP), max_size=60).map("".join))


@given(output=outputs, sources=st.integers(0, 6))
def test_normalized_markers_only_name_sources_in_the_prompt(output, sources):
    normalized = normalize_markers(output, sources)
    assert all(1 <= int(n) <= sources for n in re.findall(r"\[(\d+)\]", normalized))


def _hits(passages):
    hits = []
    for rank, passage in enumerate(passages, 1):
        document = parse_document(passage, source=f"doc{rank}.txt")
        chunks = chunk_documents([document], count_tokens=len, chunk_tokens=200, chunk_overlap=20)
        hits.extend(Hit(chunk=c, score=0.5, rank=len(hits) + 1) for c in chunks[:1])
    return hits


passages = st.lists(st.one_of(st.text(min_size=1), st.lists(st.sampled_from(MARKUP), min_size=1, max_size=40)
                              .map("".join)).filter(str.strip), max_size=4)


@given(output=outputs, passages=passages, threshold=st.floats(0.0, 1.0))
@example(output="[0[1]]", passages=["0"], threshold=0.0)  # dropping [1] once left a marker [0]
def test_verified_citations_point_at_exact_source_text(output, passages, threshold):
    hits = _hits(passages)
    texts = {h.chunk.doc_id: parse_document(p, source="x").text for h, p in zip(hits, passages)}
    checked = verify(normalize_markers(output, len(hits)), hits, threshold=threshold)
    assert all(1 <= int(n) <= len(hits) for n in re.findall(r"\[(\d+)\]", checked.text))
    for citation in checked.citations:
        chunk = hits[citation.number - 1].chunk
        assert chunk.start <= citation.start <= citation.end <= chunk.end
        assert texts[citation.doc_id][citation.start:citation.end] == citation.text
        assert citation.chunk_id == chunk.id and f"[{citation.number}]" in checked.text


@given(text=texts, size=sizes, picks=st.lists(st.integers(0, 50), max_size=8))
def test_merged_overlapping_hits_are_exact_spans(text, size, picks):
    from rag.answer.prompt import merge_overlapping

    document = parse_document(text, source="doc.txt")
    chunks = chunk_documents([document], count_tokens=len, chunk_tokens=size[0], chunk_overlap=size[1])
    if not chunks:
        return
    hits = [Hit(chunk=chunks[p % len(chunks)], score=0.5, rank=rank) for rank, p in enumerate(dict.fromkeys(picks), 1)]
    for hit in merge_overlapping(hits):
        assert document.text[hit.chunk.start:hit.chunk.end] == hit.chunk.text
